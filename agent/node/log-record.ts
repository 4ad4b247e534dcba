// One record of the file store's log: a put of one registration or the delete of one key,
// framed so that a reader can tell a whole record from a torn or damaged one without trusting
// anything around it.
//
// Frame (little-endian): body length u32, CRC-32 of the length bytes and the body u32, body.
// The CRC covers the length too, so a damaged length is caught like damaged content.
// Body of a put: op 1, kind u8 (0 one-shot, 1 periodic), flags u8 (1 unmeteredOnly,
// 2 allowOnBattery), attempts u8, maxAttempts u8, delayUntil, anchorOrExpiry and minInterval
// as f64 (exact for safe integers), scope length u32, scope UTF-8, tag UTF-8 (the rest).
// Body of a delete: op 2, the key's UTF-8 (the rest).
// The log file itself starts with FILE_HEADER: "SWLG" and the format version u32 (2; version
// 1 was the two-slot snapshot format).

import { crc32 } from "./crc32.js";
import { registrationProblem, storeKey, type StoredRegistration } from "../store.js";

/** The first bytes of every log file: magic "SWLG", format version 2. */
export const FILE_HEADER: Buffer = Buffer.from([0x53, 0x57, 0x4c, 0x47, 2, 0, 0, 0]);
/** Largest record body written or read; a registration that would encode larger is refused. */
export const MAX_BODY_BYTES = 1024 * 1024;

const FRAME = 8;
const PUT = 1;
const DELETE = 2;
const PUT_FIXED = 1 + 4 + 3 * 8 + 4; // op, kind/flags/attempts/maxAttempts, three f64, scope length
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A record read back: the key and the registration put under it, or null for a delete. */
export type DecodedRecord = { key: string; value: StoredRegistration | null } | { problem: string };

/** A fresh object holding exactly the stored fields of `r` (extra properties are dropped). */
export function copyRegistration(r: StoredRegistration): StoredRegistration {
  return {
    scope: r.scope,
    tag: r.tag,
    kind: r.kind,
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    delayUntil: r.delayUntil,
    anchorOrExpiry: r.anchorOrExpiry,
    minInterval: r.minInterval,
    unmeteredOnly: r.unmeteredOnly,
    allowOnBattery: r.allowOnBattery,
  };
}

/** Bytes of the whole framed put record of `r`. */
export function putSize(r: StoredRegistration): number {
  return FRAME + PUT_FIXED + Buffer.byteLength(r.scope) + Buffer.byteLength(r.tag);
}

/** Bytes of the whole framed delete record of `key`. */
export function deleteSize(key: string): number {
  return FRAME + 1 + Buffer.byteLength(key);
}

/** Write the put record of `r` (valid, see registrationProblem) at `offset`; returns the offset after it. */
export function writePut(target: Buffer, offset: number, r: StoredRegistration): number {
  let at = offset + FRAME;
  target[at++] = PUT;
  target[at++] = r.kind === "periodic" ? 1 : 0;
  target[at++] = (r.unmeteredOnly ? 1 : 0) | (r.allowOnBattery ? 2 : 0);
  target[at++] = r.attempts;
  target[at++] = r.maxAttempts;
  at = target.writeDoubleLE(r.delayUntil, at);
  at = target.writeDoubleLE(r.anchorOrExpiry, at);
  at = target.writeDoubleLE(r.minInterval, at);
  const scopeBytes = target.write(r.scope, at + 4, "utf8");
  target.writeUInt32LE(scopeBytes, at);
  at += 4 + scopeBytes;
  at += target.write(r.tag, at, "utf8");
  return frame(target, offset, at);
}

/** Write the delete record of `key` at `offset`; returns the offset after it. */
export function writeDelete(target: Buffer, offset: number, key: string): number {
  target[offset + FRAME] = DELETE;
  return frame(target, offset, offset + FRAME + 1 + target.write(key, offset + FRAME + 1, "utf8"));
}

function frame(target: Buffer, offset: number, end: number): number {
  target.writeUInt32LE(end - offset - FRAME, offset);
  target.writeUInt32LE(crc32(target, crc32(target, 0, offset, offset + 4), offset + FRAME, end), offset + 4);
  return end;
}

/**
 * The size of the checksummed record frame starting at `offset` of `bytes`, or 0 if none
 * starts there (cut short, implausible length or op, checksum mismatch). Cheap checks come
 * first, so that scanning damaged bytes for the next frame stays fast.
 */
export function frameAt(bytes: Buffer, offset: number): number {
  if (offset + FRAME + 1 > bytes.length) return 0;
  const length = bytes.readUInt32LE(offset);
  const op = bytes[offset + FRAME];
  if (length < 1 || length > MAX_BODY_BYTES || offset + FRAME + length > bytes.length) return 0;
  if (op !== PUT && op !== DELETE) return 0;
  const computed = crc32(bytes, crc32(bytes, 0, offset, offset + 4), offset + FRAME, offset + FRAME + length);
  return computed === bytes.readUInt32LE(offset + 4) ? FRAME + length : 0;
}

/** Decode the record whose frame (of `size` bytes, from frameAt) starts at `offset`. Never throws. */
export function decodeRecord(bytes: Buffer, offset: number, size: number): DecodedRecord {
  const end = offset + size;
  let at = offset + FRAME;
  try {
    if (bytes[at] === DELETE) return { key: utf8.decode(bytes.subarray(at + 1, end)), value: null };
    if (size < FRAME + PUT_FIXED) return { problem: "a put record too short for its fixed fields" };
    const kind = bytes[at + 1]!;
    const flags = bytes[at + 2]!;
    if (kind > 1) return { problem: `unknown kind ${kind}` };
    if (flags > 3) return { problem: `unknown flags ${flags}` };
    const scopeBytes = bytes.readUInt32LE(at + 29);
    if (scopeBytes > end - (at + PUT_FIXED)) return { problem: "a scope longer than its record" };
    at += PUT_FIXED;
    const value: StoredRegistration = {
      scope: utf8.decode(bytes.subarray(at, at + scopeBytes)),
      tag: utf8.decode(bytes.subarray(at + scopeBytes, end)),
      kind: kind === 1 ? "periodic" : "one-shot",
      attempts: bytes[offset + FRAME + 3]!,
      maxAttempts: bytes[offset + FRAME + 4]!,
      delayUntil: bytes.readDoubleLE(offset + FRAME + 5),
      anchorOrExpiry: bytes.readDoubleLE(offset + FRAME + 13),
      minInterval: bytes.readDoubleLE(offset + FRAME + 21),
      unmeteredOnly: (flags & 1) !== 0,
      allowOnBattery: (flags & 2) !== 0,
    };
    const problem = registrationProblem(value);
    return problem === undefined ? { key: storeKey(value), value } : { problem };
  } catch (error) {
    return { problem: `not UTF-8 (${(error as Error).message})` };
  }
}

/** Why the change of `key` to `value` (null: delete) cannot be stored, or undefined if it can. */
export function changeProblem(key: string, value: StoredRegistration | null): string | undefined {
  if (value === null) return deleteSize(key) - FRAME > MAX_BODY_BYTES ? `a key longer than ${MAX_BODY_BYTES} bytes` : undefined;
  const problem = registrationProblem(value);
  if (problem !== undefined) return problem;
  if (storeKey(value) !== key) return "the key is not storeKey() of the registration";
  if (putSize(value) - FRAME > MAX_BODY_BYTES) return `encodes to more than ${MAX_BODY_BYTES} bytes`;
  return undefined;
}
