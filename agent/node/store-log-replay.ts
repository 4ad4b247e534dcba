// Replaying a log file's bytes into the live state, salvaging what can be salvaged. Records
// apply in file order, each on its own: a record is whole and checksummed or it is not used.
// Damaged bytes between good records (a flipped bit at rest, a page lost out of order in a
// power cut) are skipped by searching for the next checksummed frame, so one bad byte costs
// one record and not the rest of the file. Bytes after the last good record are the torn tail
// of a write cut short.

import { FILE_HEADER, decodeRecord, frameAt } from "./log-record.js";
import type { StoredRegistration } from "../store.js";

/** A live registration and the size of its put record, which compaction will write again. */
export interface LiveRecord {
  record: StoredRegistration;
  size: number;
}

export interface Replay {
  live: Map<string, LiveRecord>;
  /** Sum of the live records' sizes. */
  liveBytes: number;
  /** Offset just after the last good record (or the header): where appends continue. */
  end: number;
  /** One phrase per damage before `end` (bad header, skipped bytes, invalid records). */
  damage: string[];
}

/** Apply the records of a log file's `bytes` in order. Never throws. */
export function replayLog(bytes: Buffer): Replay {
  const live = new Map<string, LiveRecord>();
  const damage: string[] = [];
  let liveBytes = 0;
  if (bytes.length < FILE_HEADER.length || !bytes.subarray(0, FILE_HEADER.length).equals(FILE_HEADER)) {
    damage.push(`a bad file header (${bytes.subarray(0, FILE_HEADER.length).toString("hex")})`);
  }
  let at = FILE_HEADER.length;
  let end = Math.min(at, bytes.length);
  let damagedFrom = -1;
  while (at < bytes.length) {
    const size = frameAt(bytes, at);
    if (size === 0) {
      if (damagedFrom < 0) damagedFrom = at;
      at++;
      continue;
    }
    if (damagedFrom >= 0) {
      damage.push(`${at - damagedFrom} damaged bytes at offset ${damagedFrom}`);
      damagedFrom = -1;
    }
    const decoded = decodeRecord(bytes, at, size);
    if ("problem" in decoded) {
      damage.push(`an invalid record at offset ${at} (${decoded.problem})`);
    } else {
      liveBytes -= live.get(decoded.key)?.size ?? 0;
      if (decoded.value === null) {
        live.delete(decoded.key);
      } else {
        live.set(decoded.key, { record: decoded.value, size });
        liveBytes += size;
      }
    }
    at += size;
    end = at;
  }
  return { live, liveBytes, end, damage };
}
