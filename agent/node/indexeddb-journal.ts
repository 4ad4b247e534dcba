// The on-disk journal of one origin's IndexedDB: a log file of checksummed frames, one per
// committed transaction (its changed records, never the whole database), appended with one
// write and one fsync per group of commits; replayed into an OriginImage at start; rewritten
// as a snapshot of the live state once it has grown past twice its size.
//
// Frame (little-endian): body length u32, CRC-32 of the length bytes and the body u32, body =
// the v8 structured serialization of a TransactionRecord. The file starts with "SWDB" and
// format version 1. A frame is whole and checksummed or it is not applied, so a transaction is
// all there or not at all. At load a torn tail is cut off; a damaged frame elsewhere costs that
// transaction (logged, and the log rewritten without it). Same discipline as the registration
// store (file-store.ts): appends after the last durable frame only, snapshots under a
// temporary name, fsynced, renamed over the log and the directory fsynced before the next append.

import { dirname } from "node:path";
import { deserialize, serialize } from "node:v8";
import { crc32 } from "./crc32.js";
import { OriginImage, type TransactionRecord } from "./indexeddb-image.js";
import type { StoredValue } from "./journal-value.js";
import { scanLog, type LogScan } from "./log-scan.js";
import { nodeFileSystem, type StoreFile, type StoreFileSystem } from "./store-file-system.js";
import { errorCode, readRegularFile, syncDirectory, writeAll } from "./store-files.js";

export const JOURNAL_HEADER: Buffer = Buffer.from([0x53, 0x57, 0x44, 0x42, 1, 0, 0, 0]);
const FRAME = 8;
const MAX_BODY_BYTES = 1 << 30;
/** Compaction starts once the log is over this size and over twice the live state. */
export const JOURNAL_COMPACT_MIN_BYTES = 64 * 1024;
/** Records per frame of a snapshot. */
const SNAPSHOT_CHUNK = 512;

export interface IndexedDBJournalOptions {
  /** The log file; a snapshot is written as `${path}.tmp` first. */
  path: string;
  fileSystem?: StoreFileSystem;
  /** One line per damage found at load and per failed repair or compaction. */
  log?: (line: string) => void;
}

function encodeFrame(record: TransactionRecord): Buffer {
  const body = serialize(record);
  const frame = Buffer.allocUnsafe(FRAME + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, FRAME);
  frame.writeUInt32LE(crc32(frame, crc32(frame, 0, 0, 4), FRAME, frame.length), 4);
  return frame;
}

/** The size of the whole frame at `offset`, or 0 if no intact frame starts there. */
function frameAt(bytes: Buffer, offset: number): number {
  if (offset + FRAME > bytes.length) return 0;
  const length = bytes.readUInt32LE(offset);
  if (length < 1 || length > MAX_BODY_BYTES || offset + FRAME + length > bytes.length) return 0;
  const computed = crc32(bytes, crc32(bytes, 0, offset, offset + 4), offset + FRAME, offset + FRAME + length);
  return computed === bytes.readUInt32LE(offset + 4) ? FRAME + length : 0;
}

/** Replay a log's bytes into `image`. Never throws. */
function replay(bytes: Buffer, image: OriginImage): LogScan {
  return scanLog(bytes, JOURNAL_HEADER, frameAt, (at, size) => {
    try {
      const problems = image.apply(deserialize(bytes.subarray(at + FRAME, at + size)) as TransactionRecord);
      return problems.map((problem) => `a transaction at offset ${at} that does not apply (${problem})`);
    } catch (error) {
      return [`an unreadable transaction at offset ${at} (${(error as Error).message})`];
    }
  });
}

/** The live state as log frames: per database its schema, then its records in chunks. */
function* snapshotFrames(image: OriginImage): Generator<Buffer> {
  for (const [name, db] of image.databases) {
    const schema = [...db.stores.values()].map(({ id, name, keyPath, autoIncrement, indexes }) => ({ id, name, keyPath, autoIncrement, indexes }));
    yield encodeFrame({ db: name, version: db.version, schema, changes: [] });
    for (const store of db.stores.values()) {
      let puts: [unknown, StoredValue][] = [];
      const flush = () => encodeFrame({ db: name, changes: [{ id: store.id, generator: store.generator, puts, deletes: [] }] });
      for (const { key, value } of store.records.values()) {
        puts.push([key, value]);
        if (puts.length === SNAPSHOT_CHUNK) {
          yield flush();
          puts = [];
        }
      }
      if (puts.length > 0 || store.generator > 0) yield flush();
    }
  }
}

interface Group {
  records: TransactionRecord[];
  done: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function newGroup(): Group {
  const group = { records: [] } as unknown as Group;
  group.done = new Promise<void>((resolve, reject) => Object.assign(group, { resolve, reject }));
  return group;
}

/**
 * One origin's IndexedDB journal: `commit(record)` resolves once the transaction is fsynced,
 * and only then is it applied to `image`.
 */
export class IndexedDBJournal {
  readonly image = new OriginImage();
  readonly #path: string;
  readonly #tmp: string;
  readonly #fs: StoreFileSystem;
  readonly #log: (line: string) => void;
  #handle: StoreFile | undefined;
  /** Bytes up to the last durable frame: where the next group goes. */
  #size = 0;
  #pending: Group | undefined;
  #flushing = false;
  /** The running flush, for close() to wait on. */
  #flushed: Promise<void> = Promise.resolve();
  #closed = false;
  /** Groups appended and fsynced. */
  writes = 0;
  /** Snapshots made the log. */
  snapshots = 0;

  private constructor(options: IndexedDBJournalOptions) {
    this.#path = options.path;
    this.#tmp = `${options.path}.tmp`;
    this.#fs = options.fileSystem ?? nodeFileSystem;
    this.#log = options.log ?? (() => {});
  }

  /** Read the journal at `path` (missing: empty). Never throws for what it finds; damage is logged. */
  static async open(options: IndexedDBJournalOptions): Promise<IndexedDBJournal> {
    const journal = new IndexedDBJournal(options);
    await journal.#load();
    return journal;
  }

  /** Bytes of the log on disk. */
  get size(): number {
    return this.#size;
  }

  /** Make `record` durable (one write and fsync shared with the commits of the same moment), then apply it. */
  commit(record: TransactionRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.#path}: commit after close`));
    const group = (this.#pending ??= newGroup());
    group.records.push(record);
    if (!this.#flushing) {
      this.#flushing = true;
      this.#flushed = this.#flush();
    }
    return group.done;
  }

  /** Wait for pending commits, then release the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#flushed;
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
  }

  /** Write the pending groups one after another; the flag drops in the same step as the last check. */
  async #flush(): Promise<void> {
    await Promise.resolve(); // the commits of one synchronous burst share the write
    try {
      for (let group = this.#pending; group; group = this.#pending) {
        this.#pending = undefined;
        try {
          await this.#append(group.records);
          for (const record of group.records) this.image.apply(record);
          group.resolve();
        } catch (error) {
          group.reject(error);
        }
        await this.#compactIfDue();
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #compactIfDue(): Promise<void> {
    if (!this.#handle || this.#size <= JOURNAL_COMPACT_MIN_BYTES || this.#size <= 2 * (JOURNAL_HEADER.length + this.image.bytes)) return;
    await this.#startLog(this.image).catch((error: unknown) => this.#log(`syncward indexeddb: could not compact ${this.#path} (${errorCode(error)})`));
  }

  async #append(records: TransactionRecord[]): Promise<void> {
    const frames = Buffer.concat(records.map(encodeFrame));
    try {
      if (!this.#handle) await this.#startLog(this.image);
      await writeAll(this.#handle!, frames, this.#size);
      await this.#handle!.sync();
    } catch (error) {
      await this.#cutBack();
      throw error;
    }
    this.#size += frames.length;
    this.writes++;
  }

  /** After a failed append: cut the log back to its last durable frame, or start a new log next time. */
  async #cutBack(): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    try {
      await handle.truncate(this.#size);
      await handle.sync();
    } catch {
      this.#handle = undefined;
      await handle.close().catch(() => undefined);
    }
  }

  /** Write `image` as a new log under the temporary name, fsync, rename it over the log, fsync the directory. */
  async #startLog(image: OriginImage): Promise<void> {
    const next = await this.#fs.open(this.#tmp, "create");
    let size = 0;
    try {
      for (const frame of [JOURNAL_HEADER, ...snapshotFrames(image)]) {
        await writeAll(next, frame, size);
        size += frame.length;
      }
      await next.sync();
      await this.#fs.rename(this.#tmp, this.#path);
    } catch (error) {
      await next.close().catch(() => undefined);
      await this.#fs.unlink(this.#tmp).catch(() => undefined);
      throw error;
    }
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
    try {
      await syncDirectory(this.#fs, dirname(this.#path));
    } catch (error) {
      await next.close().catch(() => undefined);
      throw error;
    }
    this.#handle = next;
    this.#size = size;
    this.snapshots++;
  }

  async #load(): Promise<void> {
    const read = await readRegularFile(this.#fs, this.#path);
    await this.#fs.unlink(this.#tmp).catch(() => undefined); // a snapshot that never became the log
    if ("missing" in read) return;
    if ("problem" in read) {
      this.#log(`syncward indexeddb: ${this.#path}: ${read.problem}; this origin starts empty`);
      return;
    }
    const { end, damage } = replay(read.bytes, this.image);
    for (const line of damage) this.#log(`syncward indexeddb: ${this.#path}: skipped ${line}; rewriting the log without it`);
    const tail = read.bytes.length - end;
    if (tail > 0) this.#log(`syncward indexeddb: ${this.#path}: dropped a torn tail of ${tail} bytes at offset ${end}`);
    if (damage.length > 0) {
      await this.#startLog(this.image).catch((error: unknown) =>
        this.#log(`syncward indexeddb: could not rewrite ${this.#path} (${errorCode(error)}); the next commit tries again`),
      );
      return;
    }
    try {
      this.#handle = await this.#fs.open(this.#path, "update");
      this.#size = end;
      if (tail > 0) {
        await this.#handle.truncate(end);
        await this.#handle.sync();
      }
    } catch (error) {
      await this.#handle?.close().catch(() => undefined);
      this.#handle = undefined;
      this.#log(`syncward indexeddb: could not open ${this.#path} for writing (${errorCode(error)}); the next commit starts a new log`);
    }
  }
}
