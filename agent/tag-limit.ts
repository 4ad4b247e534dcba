// Chromium's cap on a sync tag (kMaxTagLength), which the spec does not set: 10,240 bytes of
// the tag in UTF-8, as Chromium measures its std::string, not UTF-16 units.

export const MAX_TAG_LENGTH = 10240;

/** The length of `s` in UTF-8 bytes; a lone surrogate becomes U+FFFD, 3 bytes, as in Chromium's conversion. */
function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export function tagTooLong(tag: string): boolean {
  // A UTF-16 unit is at least one UTF-8 byte: only a long tag needs counting.
  return tag.length > MAX_TAG_LENGTH / 3 && utf8Length(tag) > MAX_TAG_LENGTH;
}
