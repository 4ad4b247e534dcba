// The crash-safe file store: a log of checksummed put and delete records (log-record.ts) in
// `${path}.log`, appended to with one write and one fsync per group of commits, and rewritten
// as a snapshot of the live records (store-snapshot.ts) once it has grown past twice their
// size. The live records stay in memory, so a change costs its own record, never the state.
//
// Guarantee: once commit() resolves, its changes survive a crash or power cut at any moment,
// provided fsync is honest. Appends go after the last durable record only; a snapshot becomes
// the log by an atomic rename after it is fsynced, and the directory is fsynced before the
// next append, so every moment has one whole log on disk. At load, a torn tail (a write cut
// short) is dropped and cut off; damage elsewhere costs the damaged records only, is reported,
// and the log is rewritten without it.
//
// Group commit without a timer: a commit with no write in flight is written at once (on the
// next microtask, so that the commits of one synchronous burst share it); commits that arrive
// while a write is in flight are merged, the later change to a key winning, and share the next.
// One writer per path; the directory must exist. The two-slot store this replaces
// (legacy-slot-store.ts) is migrated at the first load.

import { dirname } from "node:path";
import { FILE_HEADER, changeProblem, copyRegistration, deleteSize, putSize, writeDelete, writePut } from "./log-record.js";
import { legacySlotPaths, readLegacySlots } from "./legacy-slot-store.js";
import { nodeFileSystem, type StoreFile, type StoreFileSystem } from "./store-file-system.js";
import { errorCode, readRegularFile, syncDirectory, writeAll } from "./store-files.js";
import { replayLog, type LiveRecord } from "./store-log-replay.js";
import { writeSnapshot } from "./store-snapshot.js";
import type { LoadReport, RegistrationStore, StoreChanges, StoredRegistration } from "../store.js";

export interface FileStoreOptions {
  /** Base path: the log is `${path}.log`; a snapshot is written as `${path}.log.tmp` first. */
  path: string;
  /** Receives one line per discard at load, and per failed repair, truncation or compaction. */
  log?: (line: string) => void;
  /** The file system (default: Node's); the crash tests give a disk that loses power. */
  fileSystem?: StoreFileSystem;
}

/** The log is compacted once it is over this size and over twice the size of the live records. */
export const COMPACT_MIN_BYTES = 64 * 1024;

type Change = StoredRegistration | null;

interface Batch {
  changes: Map<string, Change>;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { changes: new Map(), promise, resolve, reject };
}

const FIELDS = ["scope", "tag", "kind", "attempts", "maxAttempts", "delayUntil", "anchorOrExpiry", "minInterval", "unmeteredOnly", "allowOnBattery"] as const;
const sameRegistration = (a: StoredRegistration, b: StoredRegistration) => FIELDS.every((field) => a[field] === b[field]);

/**
 * The agent's durable store on disk: a log of checksummed records at `path`, one per changed
 * registration, appended and fsynced once per group of commits; a commit that resolved
 * survives a crash or power cut.
 */
export class FileStore implements RegistrationStore {
  readonly #base: string;
  readonly #path: string;
  readonly #tmp: string;
  readonly #dir: string;
  readonly #log: ((line: string) => void) | undefined;
  readonly #fs: StoreFileSystem;

  #live = new Map<string, LiveRecord>();
  /** Sum of the live records' sizes: what a snapshot would hold. */
  #liveBytes = 0;
  /** The open log; undefined when the next write must start a new log from a snapshot first. */
  #handle: StoreFile | undefined;
  /** Bytes of the log up to its last durable record: where the next group is written. */
  #size = 0;
  #loaded = false;
  #pending: Batch | undefined;
  #flushing = false;
  /** Disk work (loads, flushes, closing) runs one operation at a time, in order. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #writes = 0;
  #snapshots = 0;

  constructor(options: FileStoreOptions) {
    this.#base = options.path;
    this.#path = `${options.path}.log`;
    this.#tmp = `${this.#path}.tmp`;
    this.#dir = dirname(options.path);
    this.#log = options.log;
    this.#fs = options.fileSystem ?? nodeFileSystem;
  }

  /** Groups of commits this instance appended and fsynced. */
  get writes(): number {
    return this.#writes;
  }

  /** Snapshots this instance made the log (a new store, compaction, repair, migration). */
  get snapshots(): number {
    return this.#snapshots;
  }

  /**
   * Read the log and keep its state; later commits continue from it. Never throws for what it
   * finds: a torn tail is cut off, damaged records are skipped, an unreadable log or one in
   * the way (not a regular file) counts as empty, and each is one line in `discarded` and to
   * `log`. After damage the log is rewritten from what was kept, so it is reported once. A
   * two-slot store of the previous format is migrated: its newest valid generation becomes
   * the log, durably, and then the slot files are removed. Waits for pending commits first.
   */
  load(): Promise<LoadReport> {
    if (this.#closed) return Promise.reject(new Error("FileStore: load after close"));
    return this.#serial(() => this.#load());
  }

  /**
   * Make `changes` durable: resolves once they are fsynced. Rejects at once, with nothing
   * written, when a record is invalid or its key is not storeKey() of it (load() would refuse
   * it). On an I/O failure the group's commits reject, the log is cut back to its last durable
   * record and the next commit writes again. A put equal to the stored record and the delete
   * of an absent key write nothing. Called before load(), the first write loads first
   * (discards then go only to `log`).
   */
  commit(changes: StoreChanges): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("FileStore: commit after close"));
    const copies: [string, Change][] = [];
    for (const [key, value] of changes) {
      const problem = changeProblem(key, value);
      if (problem !== undefined) return Promise.reject(new TypeError(`FileStore: ${JSON.stringify(key)}: ${problem}`));
      copies.push([key, value && copyRegistration(value)]); // the caller may reuse its objects
    }
    const batch = (this.#pending ??= newBatch());
    for (const [key, value] of copies) batch.changes.set(key, value);
    if (!this.#flushing) {
      this.#flushing = true;
      void this.#serial(() => this.#flushPending());
    }
    return batch.promise;
  }

  /** Write what is pending and release the log; later commits reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#serial(() => this.#closeLog());
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(operation);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async #flushPending(): Promise<void> {
    try {
      // Commits that arrive while a group is written land in a new batch: the next group.
      for (let batch = this.#pending; batch; batch = this.#pending) {
        this.#pending = undefined;
        try {
          await this.#append(batch.changes);
          batch.resolve();
        } catch (error) {
          batch.reject(error);
        }
        await this.#compactIfDue(); // after resolving: the commits do not wait for it
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Append the records that change the live state as one write and one fsync, then apply them. */
  async #append(changes: Map<string, Change>): Promise<void> {
    if (!this.#loaded) await this.#load();
    const effective: [string, Change, number][] = [];
    let bytes = 0;
    for (const [key, value] of changes) {
      const current = this.#live.get(key)?.record;
      if (value === null ? current === undefined : current !== undefined && sameRegistration(current, value)) continue;
      const size = value === null ? deleteSize(key) : putSize(value);
      effective.push([key, value, size]);
      bytes += size;
    }
    if (bytes === 0) return;
    const group = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const [key, value] of effective) at = value === null ? writeDelete(group, at, key) : writePut(group, at, value);
    try {
      if (this.#handle === undefined) await this.#startLog();
      await writeAll(this.#handle!, group, this.#size);
      await this.#handle!.sync();
    } catch (error) {
      await this.#cutBack();
      throw error;
    }
    this.#size += bytes;
    this.#writes++;
    for (const [key, value, size] of effective) {
      this.#liveBytes -= this.#live.get(key)?.size ?? 0;
      if (value === null) {
        this.#live.delete(key);
      } else {
        this.#live.set(key, { record: value, size });
        this.#liveBytes += size;
      }
    }
  }

  /**
   * After a failed append, cut the log back to its last durable record, durably: the rejected
   * group must neither come back after a crash nor sit in front of the next one.
   */
  async #cutBack(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    try {
      await handle.truncate(this.#size);
      await handle.sync();
    } catch (error) {
      this.#handle = undefined; // the next write starts a new log from the live records instead
      await handle.close().catch(() => undefined);
      this.#log?.(`syncward store: could not cut ${this.#path} back after a failed write (${errorCode(error)}); the next write starts a new log`);
    }
  }

  async #compactIfDue(): Promise<void> {
    if (this.#handle === undefined || this.#size <= COMPACT_MIN_BYTES) return;
    if (this.#size <= 2 * (FILE_HEADER.length + this.#liveBytes)) return;
    try {
      await this.#startLog();
    } catch (error) {
      this.#log?.(`syncward store: could not compact ${this.#path} (${errorCode(error)}); trying again after the next write`);
    }
  }

  /**
   * Make a snapshot of the live records the log: written under a temporary name and fsynced,
   * renamed over the log, and the directory fsynced before anything is appended to it. If this
   * fails before the rename, the old log stands and stays open; after it, there is no open log
   * and the next write starts again.
   */
  async #startLog(): Promise<void> {
    const next = await writeSnapshot(this.#fs, this.#tmp, this.#live.values());
    try {
      await this.#fs.rename(this.#tmp, this.#path);
    } catch (error) {
      await next.handle.close().catch(() => undefined);
      await this.#fs.unlink(this.#tmp).catch(() => undefined);
      throw error;
    }
    await this.#closeLog(); // that file has no name any more: nothing may be appended to it
    try {
      await syncDirectory(this.#fs, this.#dir);
    } catch (error) {
      await next.handle.close().catch(() => undefined); // the rename may not be durable yet
      throw error;
    }
    this.#handle = next.handle;
    this.#size = next.size;
    this.#snapshots++;
  }

  async #closeLog(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  async #load(): Promise<LoadReport> {
    await this.#closeLog();
    this.#live = new Map();
    this.#liveBytes = 0;
    this.#size = 0;
    const discarded: string[] = [];
    const read = await readRegularFile(this.#fs, this.#path);
    let repair: boolean;
    let migrate = false;
    let tail = 0;
    if ("bytes" in read) {
      const replay = replayLog(read.bytes);
      this.#live = replay.live;
      this.#liveBytes = replay.liveBytes;
      this.#size = replay.end;
      for (const damage of replay.damage) discarded.push(`syncward store: ${this.#path}: skipped ${damage}; rewriting the log without it`);
      tail = read.bytes.length - replay.end;
      if (tail > 0) discarded.push(`syncward store: ${this.#path}: dropped a torn tail of ${tail} bytes at offset ${replay.end}`);
      repair = replay.damage.length > 0;
      await this.#removeLegacySlots(); // left over by a migration that had already written the log
    } else if ("problem" in read) {
      discarded.push(`syncward store: discarded ${this.#path}: ${read.problem}; starting empty`);
      repair = true;
    } else {
      const legacy = await readLegacySlots(this.#fs, this.#base);
      discarded.push(...legacy.discarded);
      for (const [key, record] of legacy.registrations) this.#live.set(key, { record, size: putSize(record) });
      for (const { size } of this.#live.values()) this.#liveBytes += size;
      repair = migrate = legacy.found;
    }
    for (const line of discarded) this.#log?.(line);
    await this.#fs.unlink(this.#tmp).catch(() => undefined); // a snapshot that never became the log
    if (repair) await this.#repair(migrate);
    else if ("bytes" in read) await this.#openLog(tail);
    this.#loaded = true;
    const registrations = new Map<string, StoredRegistration>();
    for (const [key, { record }] of this.#live) registrations.set(key, copyRegistration(record));
    return { registrations, discarded };
  }

  /** Open the log for appends, cutting off a torn tail of `tail` bytes first. */
  async #openLog(tail: number): Promise<void> {
    try {
      this.#handle = await this.#fs.open(this.#path, "update");
      if (tail > 0) {
        await this.#handle.truncate(this.#size);
        await this.#handle.sync();
      }
    } catch (error) {
      await this.#closeLog();
      this.#log?.(`syncward store: could not open ${this.#path} for writing (${errorCode(error)}); the next write starts a new log`);
    }
  }

  /** Rewrite the log from the live records; after a migration, then remove the old slots. */
  async #repair(migrate: boolean): Promise<void> {
    try {
      await this.#startLog();
    } catch (error) {
      this.#log?.(`syncward store: could not write ${this.#path} (${errorCode(error)}); the next write tries again`);
      return;
    }
    if (!migrate) return;
    this.#log?.(`syncward store: migrated ${this.#live.size} registrations from ${this.#base}.0/.1 to ${this.#path}`);
    await this.#removeLegacySlots();
  }

  async #removeLegacySlots(): Promise<void> {
    let removed = false;
    for (const slot of legacySlotPaths(this.#base)) {
      try {
        await this.#fs.unlink(slot);
        removed = true;
      } catch (error) {
        if (errorCode(error) !== "ENOENT") this.#log?.(`syncward store: could not remove ${slot} (${errorCode(error)})`);
      }
    }
    if (removed) await syncDirectory(this.#fs, this.#dir).catch(() => undefined);
  }
}
