// A simulated disk for the file store's crash tests, in the manner of SQLite's crash tests:
// it keeps, per file, what is durable (as of its last fsync) apart from what was written since,
// and per directory the names as of its last fsync apart from the current ones. At any moment
// it can give the images a power cut would leave: the unsynced writes lost, kept, or kept with
// the last one torn half-way; the unsynced renames, creations and removals lost or kept.
// A disk can also be told to lie about some fsyncs (do nothing, report success), which is how
// the test of the test removes an fsync from the product without editing it.

import type { OpenMode, StoreFile, StoreFileSystem } from "../../agent/node/store-file-system.js";

type Change = { position: number; bytes: Buffer } | { length: number };

class Inode {
  /** The content as of the last fsync. */
  durable: Buffer;
  /** What was written or cut since, in order. */
  unsynced: Change[] = [];

  constructor(content: Buffer) {
    this.durable = content;
  }

  /** The content with the first `count` unsynced changes applied, the last of them maybe torn. */
  content(count = this.unsynced.length, tornLast = false): Buffer {
    let bytes = Buffer.from(this.durable);
    this.unsynced.slice(0, count).forEach((change, i) => {
      if ("length" in change) {
        bytes = bytes.subarray(0, Math.min(bytes.length, change.length));
        return;
      }
      const part = tornLast && i === count - 1 ? change.bytes.subarray(0, change.bytes.length >> 1) : change.bytes;
      const end = change.position + part.length;
      if (end > bytes.length) bytes = Buffer.concat([bytes, Buffer.alloc(end - bytes.length)]);
      part.copy(bytes, change.position);
    });
    return bytes;
  }
}

/** What a power cut leaves: file names and their content. */
export type DiskImage = Map<string, Buffer>;

export interface CrashVariant {
  /** Unsynced data: lost, kept, or kept with each file's last write torn half-way. */
  data: "lost" | "kept" | "torn";
  /** Unsynced directory entries (renames, new files, removals): lost or kept. */
  names: "lost" | "kept";
}

export const CRASH_VARIANTS: CrashVariant[] = (["lost", "kept", "torn"] as const).flatMap((data) =>
  (["lost", "kept"] as const).map((names) => ({ data, names })),
);

export interface PowerCutDiskOptions {
  /** fsyncs whose two innermost callers match are ignored: the disk lies that they were done. */
  ignoreSyncFrom?: RegExp;
}

/** One directory's worth of files (the store keeps its files in one directory). */
export class PowerCutDisk implements StoreFileSystem {
  #names = new Map<string, Inode>();
  #durableNames = new Map<string, Inode>();
  readonly #ignoreSyncFrom: RegExp | undefined;
  /** fsyncs done, and fsyncs ignored (see ignoreSyncFrom). */
  readonly syncs = { done: 0, ignored: 0 };
  /** Called before each operation that changes the disk or makes something durable. */
  beforeStep: (() => void) | undefined;

  constructor(image: DiskImage = new Map(), options: PowerCutDiskOptions = {}) {
    for (const [name, content] of image) this.#names.set(name, new Inode(content));
    this.#durableNames = new Map(this.#names);
    this.#ignoreSyncFrom = options.ignoreSyncFrom;
  }

  /** The images a power cut now would leave. */
  images(): { variant: CrashVariant; image: DiskImage }[] {
    return CRASH_VARIANTS.map((variant) => {
      const names = variant.names === "kept" ? this.#names : this.#durableNames;
      const image: DiskImage = new Map();
      for (const [name, inode] of names) {
        image.set(name, variant.data === "lost" ? inode.content(0) : inode.content(inode.unsynced.length, variant.data === "torn"));
      }
      return { variant, image };
    });
  }

  /** Whether to ignore this fsync: its caller's two innermost frames match ignoreSyncFrom. */
  #lies(): boolean {
    const callers = (new Error().stack ?? "")
      .split("\n")
      .slice(1)
      .filter((line) => !line.includes("power-cut-disk"));
    const lie = this.#ignoreSyncFrom?.test(callers.slice(0, 2).join("\n")) ?? false;
    this.syncs[lie ? "ignored" : "done"]++;
    return lie;
  }

  async open(path: string, mode: OpenMode): Promise<StoreFile> {
    if (mode === "directory") return this.#directory();
    let inode = this.#names.get(path);
    if (mode === "create") {
      this.beforeStep?.();
      inode = new Inode(Buffer.alloc(0));
      this.#names.set(path, inode);
    } else if (inode === undefined) {
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    }
    return this.#file(inode);
  }

  async rename(from: string, to: string): Promise<void> {
    const inode = this.#names.get(from);
    if (inode === undefined) throw Object.assign(new Error(`ENOENT: ${from}`), { code: "ENOENT" });
    this.beforeStep?.();
    this.#names.delete(from);
    this.#names.set(to, inode);
  }

  async unlink(path: string): Promise<void> {
    if (!this.#names.has(path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    this.beforeStep?.();
    this.#names.delete(path);
  }

  #directory(): StoreFile {
    const sync = async () => {
      this.beforeStep?.();
      if (!this.#lies()) this.#durableNames = new Map(this.#names);
    };
    return { ...closedFile(), sync, close: async () => {} };
  }

  #file(inode: Inode): StoreFile {
    return {
      read: async (buffer, offset, length, position) => {
        const bytes = inode.content().subarray(position, position + length);
        bytes.copy(buffer, offset);
        return { bytesRead: bytes.length };
      },
      write: async (buffer, offset, length, position) => {
        this.beforeStep?.();
        inode.unsynced.push({ position, bytes: Buffer.from(buffer.subarray(offset, offset + length)) });
        return { bytesWritten: length };
      },
      stat: async () => {
        return { size: inode.content().length, isFile: () => true };
      },
      truncate: async (length) => {
        this.beforeStep?.();
        inode.unsynced.push({ length });
      },
      sync: async () => {
        this.beforeStep?.();
        if (this.#lies()) return;
        inode.durable = inode.content();
        inode.unsynced = [];
      },
      async close() {},
    };
  }
}

function closedFile(): StoreFile {
  const refuse = async (): Promise<never> => {
    throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
  };
  return { read: refuse, write: refuse, stat: refuse, truncate: refuse, sync: refuse, close: async () => {} };
}
