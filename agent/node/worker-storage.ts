// The storage of the agent's service workers: one OriginStorage per origin, as browsers keep
// one IndexedDB namespace per origin, each in its own journal file under one directory of the
// agent's state. Workers of the same origin share it.

import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { OriginStorage } from "./origin-storage.js";
import { nodeFileSystem, type StoreFileSystem } from "./store-file-system.js";

export interface WorkerStorageOptions {
  /** The directory of the journals (it must exist): one `<origin, URI-encoded>.idb` file per origin. */
  directory: string;
  /** Per origin, in bytes (default: 60 % of the file system's size, as Chromium allows one origin). */
  quota?: number;
  fileSystem?: StoreFileSystem;
  log?: (line: string) => void;
}

/** The journal file name of `origin`: unique per origin, and no path separator in it. */
export const originFileName = (origin: string): string => `${encodeURIComponent(origin)}.idb`;

/** Durable per-origin IndexedDB for the service workers of one agent. */
export class WorkerStorage {
  readonly #options: WorkerStorageOptions;
  readonly #origins = new Map<string, Promise<OriginStorage>>();
  #quota: Promise<number> | undefined;

  constructor(options: WorkerStorageOptions) {
    this.#options = options;
  }

  /** The storage of `origin` (an origin or any URL of it), loaded from its journal at first use. */
  open(origin: string): Promise<OriginStorage> {
    const key = new URL(origin).origin;
    let storage = this.#origins.get(key);
    if (!storage) {
      const { directory, fileSystem = nodeFileSystem, log } = this.#options;
      storage = this.#quotaBytes().then((quota) => OriginStorage.open({ path: join(directory, originFileName(key)), quota, fileSystem, log }));
      this.#origins.set(key, storage);
    }
    return storage;
  }

  /** Wait for every origin's commits in flight and release the journals. */
  async close(): Promise<void> {
    const origins = [...this.#origins.values()];
    this.#origins.clear();
    await Promise.all(origins.map(async (storage) => (await storage.catch(() => undefined))?.close()));
  }

  #quotaBytes(): Promise<number> {
    return (this.#quota ??= this.#options.quota !== undefined
      ? Promise.resolve(this.#options.quota)
      : statfs(this.#options.directory).then(({ blocks, bsize }) => Math.floor(blocks * bsize * 0.6), () => Number.MAX_SAFE_INTEGER));
  }
}
