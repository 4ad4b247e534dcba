// Writing the live records as a new log file: the snapshot that compaction, repair and
// migration start a fresh log from. It is written under a temporary name and fsynced; the
// store then renames it over the log and fsyncs the directory. A crash before the rename
// leaves the old log whole (and a stray temporary file, removed at the next load); after it,
// the new one, holding the same state. Either way nothing acknowledged is lost.

import { FILE_HEADER, writePut } from "./log-record.js";
import type { StoreFile, StoreFileSystem } from "./store-file-system.js";
import { writeAll } from "./store-files.js";
import type { LiveRecord } from "./store-log-replay.js";

const CHUNK = 1024 * 1024;

export interface Snapshot {
  /** Open for reading and writing: appends continue in it once it is the log. */
  handle: StoreFile;
  /** Its size in bytes. */
  size: number;
}

/**
 * Write a log file holding the header and one put record per live record at `path`
 * (replacing whatever file is there), and fsync it. On failure the file is closed and removed.
 */
export async function writeSnapshot(fs: StoreFileSystem, path: string, records: Iterable<LiveRecord>): Promise<Snapshot> {
  const handle = await fs.open(path, "create");
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let size = FILE_HEADER.copy(chunk, 0);
    let filled = size;
    for (const { record, size: bytes } of records) {
      if (filled + bytes > CHUNK) {
        await writeAll(handle, chunk.subarray(0, filled), size - filled);
        filled = 0;
      }
      // A record larger than the chunk (up to MAX_BODY_BYTES) gets a buffer of its own.
      const target = bytes > CHUNK ? Buffer.allocUnsafe(bytes) : chunk;
      const end = writePut(target, target === chunk ? filled : 0, record);
      if (target === chunk) filled = end;
      else await writeAll(handle, target, size);
      size += bytes;
    }
    await writeAll(handle, chunk.subarray(0, filled), size - filled);
    await handle.sync();
    return { handle, size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.unlink(path).catch(() => undefined);
    throw error;
  }
}
