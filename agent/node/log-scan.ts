// Walking a log file of checksummed frames in order, salvaging what can be salvaged: shared by
// the registration store's log and the worker storage's journal. A frame is whole and
// checksummed or it is not used; damaged bytes between intact frames (a flipped bit at rest, a
// page lost out of order in a power cut) are skipped by searching for the next intact frame,
// so one bad byte costs one frame and not the rest of the file. Bytes after the last intact
// frame are the torn tail of a write cut short.

export interface LogScan {
  /** Offset just after the last intact frame (or the header): where appends continue. */
  end: number;
  /** One phrase per damage before `end`: a bad header, skipped bytes, frames `use` refused. */
  damage: string[];
}

/**
 * Hand each intact frame of `bytes` (after `header`) to `use`, in file order. `frameAt` gives
 * the size of the intact frame at an offset, or 0 if none starts there; `use` returns a phrase
 * per problem with the frame's content. Never throws if `use` does not.
 */
export function scanLog(
  bytes: Buffer,
  header: Buffer,
  frameAt: (bytes: Buffer, offset: number) => number,
  use: (offset: number, size: number) => string[],
): LogScan {
  const damage: string[] = [];
  if (bytes.length < header.length || !bytes.subarray(0, header.length).equals(header)) {
    damage.push(`a bad file header (${bytes.subarray(0, header.length).toString("hex")})`);
  }
  let at = header.length;
  let end = Math.min(at, bytes.length);
  let damagedFrom = -1;
  while (at < bytes.length) {
    const size = frameAt(bytes, at);
    if (size === 0) {
      if (damagedFrom < 0) damagedFrom = at;
      at++;
      continue;
    }
    if (damagedFrom >= 0) damage.push(`${at - damagedFrom} damaged bytes at offset ${damagedFrom}`);
    damagedFrom = -1;
    damage.push(...use(at, size));
    at += size;
    end = at;
  }
  return { end, damage };
}
