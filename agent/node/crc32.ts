// CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and final XOR
// 0xFFFFFFFF), table-driven, one byte at a time. Same results as zlib's crc32, including
// chaining: crc32(b, crc32(a)) === crc32(a ++ b). Node 20 has no zlib.crc32 (22.2+).

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/**
 * The CRC-32 of `bytes[start, end)`, continuing from `previous` (the CRC of whatever came
 * before; 0 to start afresh). Returns an unsigned 32-bit integer.
 */
export function crc32(bytes: Uint8Array, previous = 0, start = 0, end = bytes.length): number {
  let c = ~previous;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
