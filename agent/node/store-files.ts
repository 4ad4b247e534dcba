// The file-system steps the file store is built from, each with the care durability needs:
// reading a file that may be anything (a FIFO, a directory, unreadable), and making a rename
// or a new name durable by fsyncing its directory.

import type { StoreFile, StoreFileSystem } from "./store-file-system.js";

/** The errno code of a file-system error (ENOENT, EIO…), or the error as text. */
export const errorCode = (error: unknown): string => (error as NodeJS.ErrnoException | null)?.code ?? String(error);

export type FileRead = { bytes: Buffer } | { missing: true } | { problem: string };

/** The whole content of the regular file at `path`. Never throws; never hangs on a FIFO. */
export async function readRegularFile(fs: StoreFileSystem, path: string): Promise<FileRead> {
  let handle;
  try {
    handle = await fs.open(path, "read");
  } catch (error) {
    return errorCode(error) === "ENOENT" ? { missing: true } : { problem: `cannot open it (${errorCode(error)})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { problem: "not a regular file" };
    const bytes = Buffer.allocUnsafe(stat.size);
    let filled = 0;
    for (let read = -1; read !== 0 && filled < bytes.length; filled += read) {
      read = (await handle.read(bytes, filled, bytes.length - filled, filled)).bytesRead;
    }
    return { bytes: bytes.subarray(0, filled) };
  } catch (error) {
    return { problem: `cannot read it (${errorCode(error)})` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** fsync the directory `dir`, so that names created, renamed or removed in it are durable. */
export async function syncDirectory(fs: StoreFileSystem, dir: string): Promise<void> {
  const handle = await fs.open(dir, "directory");
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory (EINVAL); their entries are as durable as they get.
    if (errorCode(error) !== "EINVAL") throw error;
  } finally {
    await handle.close();
  }
}

/** Write all of `bytes` at `position` (write may return short). */
export async function writeAll(handle: StoreFile, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
  }
}
