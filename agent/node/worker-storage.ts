// Where an origin's durable worker storage lives: one OriginStorage per origin, as browsers
// keep one IndexedDB namespace per origin, each in its own journal file under one directory of
// the agent's state. The thread of the origin's workers is its only writer (see
// service-worker-origin.ts): it opens the journal, and no other thread does while it runs.

import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { OriginStorage } from "./origin-storage.js";
import type { StoreFileSystem } from "./store-file-system.js";

export interface WorkerStorageOptions {
  /** The directory of the journals (it must exist): one `<origin, URI-encoded>.idb` file per origin. */
  directory: string;
  /** The origin (or any URL of it) whose storage to open. */
  origin: string;
  /** In bytes (default: 60 % of the file system's size, as Chromium allows one origin). */
  quota?: number;
  fileSystem?: StoreFileSystem;
  log?: (line: string) => void;
}

/** The journal file name of `origin`: unique per origin, and no path separator in it. */
export const originFileName = (origin: string): string => `${encodeURIComponent(origin)}.idb`;

/** Load the storage of `options.origin` from its journal (a new one if it has none). */
export async function openWorkerStorage(options: WorkerStorageOptions): Promise<OriginStorage> {
  const { directory, fileSystem, log } = options;
  const quota =
    options.quota ??
    (await statfs(directory).then(
      ({ blocks, bsize }) => Math.floor(blocks * bsize * 0.6),
      () => Number.MAX_SAFE_INTEGER,
    ));
  return OriginStorage.open({ path: join(directory, originFileName(new URL(options.origin).origin)), quota, fileSystem, log });
}
