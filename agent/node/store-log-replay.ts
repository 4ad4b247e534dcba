// Replaying a log file's bytes into the live state: records apply in file order, each on its
// own; damaged bytes and the torn tail are found by scanLog (log-scan.ts).

import { FILE_HEADER, decodeRecord, frameAt } from "./log-record.js";
import { scanLog } from "./log-scan.js";
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
  let liveBytes = 0;
  const { end, damage } = scanLog(bytes, FILE_HEADER, frameAt, (at, size) => {
    const decoded = decodeRecord(bytes, at, size);
    if ("problem" in decoded) return [`an invalid record at offset ${at} (${decoded.problem})`];
    liveBytes -= live.get(decoded.key)?.size ?? 0;
    if (decoded.value === null) {
      live.delete(decoded.key);
    } else {
      live.set(decoded.key, { record: decoded.value, size });
      liveBytes += size;
    }
    return [];
  });
  return { live, liveBytes, end, damage };
}
