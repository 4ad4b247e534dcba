// The crash-safe file store: two snapshot slots, <path>.0 and <path>.1, written alternately.
// Guarantee: once commit() resolves, that snapshot or a later one survives a crash or power cut
// at any moment, provided fsync is honest. A write only ever touches the slot not holding the
// newest durable generation, so a torn write damages nothing that was acknowledged. A corrupt
// newest slot falls back to the previous generation (at most the last commit is lost), and
// load() reports every discarded slot.
//
// Slot format (little-endian): "SWRD", version u32 (1), generation u64 (a safe integer; slot =
// generation % 2), payload length u32, CRC-32 of header bytes 0..19 and the payload, then the
// payload: the compact JSON array of the registrations. A slot is valid iff all of it checks.
// One writer per path; the directory must exist. Commits share writes: every commit arriving
// within groupCommitWindowMs, or while a write is in flight, is made durable by one write of
// the latest snapshot, and a snapshot byte-identical to the durable one is not written at all.

import { constants } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { crc32 } from "./crc32.js";
import { registrationProblem, storeKey, type LoadReport, type RegistrationStore, type StoreSnapshot, type StoredRegistration } from "../store.js";

export interface FileStoreOptions {
  /** Base path: the slots are `${path}.0` and `${path}.1`. */
  path: string;
  /** Commits arriving within this many ms of the first pending one share one write (default 5). */
  groupCommitWindowMs?: number;
  /** Receives one line per discarded slot, and per failed repair of one. */
  log?: (line: string) => void;
}

const VERSION = 1;
const HEADER = 24; // magic 0, version 4, generation 8 (lo) 12 (hi), length 16, crc 20
const CRC_COVERED = 20;
/** Largest slot file read or written; a larger snapshot is refused at commit. */
export const MAX_SLOT_BYTES = 64 * 1024 * 1024;
const TWO_32 = 2 ** 32;
/** Field order of the stored JSON (and the only fields stored). */
const FIELDS = ["scope", "tag", "kind", "attempts", "maxAttempts", "delayUntil", "anchorOrExpiry", "minInterval",
  "unmeteredOnly", "allowOnBattery"];
const utf8 = new TextDecoder("utf-8", { fatal: true });

interface Batch {
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
  return { promise, resolve, reject };
}

type Slot = 0 | 1;
type SlotRead =
  | { ok: true; generation: number; payload: string; registrations: Map<string, StoredRegistration>; size: number }
  | { ok: false; missing: boolean; reason: string; unlink: boolean; size: number };

const code = (error: unknown): string => (error as NodeJS.ErrnoException | null)?.code ?? String(error);
const missing: SlotRead = { ok: false, missing: true, reason: "", unlink: false, size: -1 };

export class FileStore implements RegistrationStore {
  readonly #paths: readonly [string, string];
  readonly #dir: string;
  readonly #window: number;
  readonly #log: ((line: string) => void) | undefined;

  /** Newest durable generation (0: none yet). The next write is generation + 1, into slot (generation + 1) % 2. */
  #generation = 0;
  /** Payload of that generation; undefined when unknown, so that the next commit writes. */
  #durablePayload: string | undefined;
  #scanned = false;
  /** Slots discarded at load: the next write overwrites them too (unlinking the unreadable ones first). */
  readonly #repair: [boolean, boolean] = [false, false];
  readonly #unlink: [boolean, boolean] = [false, false];
  /** Whether this instance has fsynced the directory since it first wrote the slot. */
  readonly #dirSynced: [boolean, boolean] = [false, false];
  /** Known file sizes (-1: unknown), to skip a needless ftruncate. */
  readonly #sizes: [number, number] = [-1, -1];
  #scratch = Buffer.alloc(0);

  #latest: StoreSnapshot | undefined;
  #pending: Batch | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing = false;
  /** Disk work (scans and writes) runs one operation at a time, in order. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #writes = 0;

  constructor(options: FileStoreOptions) {
    this.#paths = [`${options.path}.0`, `${options.path}.1`];
    this.#dir = dirname(options.path);
    this.#window = options.groupCommitWindowMs ?? 5;
    this.#log = options.log;
  }

  /** Newest durable generation known to this instance (0 before any). */
  get generation(): number {
    return this.#generation;
  }

  /** Slot files this instance has written and fsynced. */
  get writes(): number {
    return this.#writes;
  }

  /**
   * Read both slots and keep the valid one with the higher generation; later writes continue
   * from it. Never throws: a slot that is damaged, of another format version, not a regular
   * file or unreadable (EIO, EACCES, ELOOP…: anything but ENOENT, which is simply "absent") is
   * reported in `discarded` and to `log`, and the next write overwrites it (replacing what could
   * not be read), so that it cannot come back later with a higher generation. Waits for
   * pending commits first.
   */
  load(): Promise<LoadReport> {
    this.#flushNow();
    return this.#serial(() => this.#scan());
  }

  /**
   * Make `snapshot` durable. The map is read when the shared write starts (up to
   * groupCommitWindowMs later), so treat it as immutable once committed. Rejects, with nothing
   * written, when a record is invalid or its key is not storeKey() of it: load() would refuse
   * it. On an I/O failure the previous generation stands (or, if the failure came after the
   * data reached the disk, the rejected snapshot), and the next commit writes the same slot again.
   * Called before load(), the first write loads first (discards then go only to `log`).
   */
  commit(snapshot: StoreSnapshot): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("FileStore: commit after close"));
    this.#latest = snapshot;
    if (this.#pending) return this.#pending.promise;
    const batch = (this.#pending = newBatch());
    if (!this.#flushing && this.#timer === undefined) this.#timer = setTimeout(this.#kick, this.#window);
    return batch.promise;
  }

  /** Write what is pending now and wait for it; later commits reject. No file stays open between writes. */
  async close(): Promise<void> {
    this.#closed = true;
    const last = this.#pending?.promise;
    this.#flushNow();
    await this.#tail;
    await last; // rejects if the final flush failed
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(operation);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #flushNow(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending && !this.#flushing) this.#kick();
  }

  readonly #kick = (): void => {
    this.#timer = undefined;
    if (this.#flushing) return;
    this.#flushing = true;
    void this.#serial(async () => {
      try {
        // Commits that arrive while a write is in flight wait for it, then share the next one.
        while (this.#pending) {
          const batch = this.#pending;
          const snapshot = this.#latest!;
          this.#pending = undefined;
          this.#latest = undefined;
          try {
            if (!this.#scanned) await this.#scan();
            await this.#write(snapshot);
            batch.resolve();
          } catch (error) {
            batch.reject(error);
          }
        }
      } finally {
        this.#flushing = false;
      }
    });
  };

  async #write(snapshot: StoreSnapshot): Promise<void> {
    for (const [key, r] of snapshot) {
      const problem = registrationProblem(r);
      if (problem !== undefined) throw new TypeError(`FileStore: registration ${JSON.stringify(key)}: ${problem}`);
      if (storeKey(r) !== key) throw new TypeError(`FileStore: key ${JSON.stringify(key)} is not storeKey() of its registration`);
    }
    const payload = JSON.stringify(Array.from(snapshot.values()), FIELDS);
    if (payload === this.#durablePayload && !this.#repair[0] && !this.#repair[1]) return;
    if (HEADER + Buffer.byteLength(payload) > MAX_SLOT_BYTES) {
      throw new RangeError(`FileStore: snapshot of ${snapshot.size} registrations exceeds ${MAX_SLOT_BYTES} bytes`);
    }
    const generation = this.#generation + 1;
    const slot = (generation % 2) as Slot;
    await this.#writeSlot(slot, this.#encode(generation, payload));
    this.#generation = generation;
    this.#durablePayload = payload;
    const other = (1 - slot) as Slot;
    if (this.#repair[other]) {
      // The other slot was discarded at load: overwrite it too, so that nothing unreadable now
      // can come back later with a higher generation. Best effort: the commit is durable already.
      try {
        await this.#writeSlot(other, this.#encode(generation + 1, payload));
        this.#generation = generation + 1;
      } catch (error) {
        this.#log?.(`syncward store: could not repair ${this.#paths[other]} (${code(error)}); will retry at the next change`);
      }
    }
  }

  #encode(generation: number, payload: string): Buffer {
    const length = Buffer.byteLength(payload);
    const total = HEADER + length;
    if (this.#scratch.length < total) this.#scratch = Buffer.allocUnsafe(Math.max(total, 2 * this.#scratch.length, 4096));
    const bytes = this.#scratch.subarray(0, total);
    bytes.write("SWRD", 0, "latin1");
    bytes.writeUInt32LE(VERSION, 4);
    bytes.writeUInt32LE(generation % TWO_32, 8);
    bytes.writeUInt32LE(Math.floor(generation / TWO_32), 12);
    bytes.writeUInt32LE(length, 16);
    bytes.write(payload, HEADER, "utf8");
    bytes.writeUInt32LE(crc32(bytes, crc32(bytes, 0, 0, CRC_COVERED), HEADER), CRC_COVERED);
    return bytes;
  }

  /** Overwrite one slot in place, fsync it, and fsync the directory on this instance's first write to it. */
  async #writeSlot(slot: Slot, bytes: Buffer): Promise<void> {
    const path = this.#paths[slot];
    let known = this.#sizes[slot];
    this.#sizes[slot] = -1;
    if (this.#unlink[slot]) {
      try {
        await unlink(path);
      } catch (error) {
        if (code(error) !== "ENOENT") throw error;
      }
      this.#dirSynced[slot] = false;
      this.#unlink[slot] = false;
      known = -1;
    }
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      for (let done = 0; done < bytes.length;) {
        done += (await handle.write(bytes, done, bytes.length - done, done)).bytesWritten;
      }
      if (known === -1 || known > bytes.length) await handle.truncate(bytes.length);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    await handle.close();
    if (!this.#dirSynced[slot]) {
      await this.#syncDirectory();
      this.#dirSynced[slot] = true;
    }
    this.#sizes[slot] = bytes.length;
    this.#repair[slot] = false;
    this.#writes++;
  }

  async #syncDirectory(): Promise<void> {
    const handle = await open(this.#dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } catch (error) {
      // Some file systems cannot fsync a directory (EINVAL); their entries are as durable as they get.
      if (code(error) !== "EINVAL") throw error;
    } finally {
      await handle.close();
    }
  }

  async #scan(): Promise<LoadReport> {
    const reads = [await this.#readSlot(0), await this.#readSlot(1)] as const;
    let best: (SlotRead & { ok: true }) | undefined;
    let chosen: Slot = 0;
    for (const slot of [0, 1] as const) {
      const read = reads[slot];
      if (read.ok && (best === undefined || read.generation > best.generation)) {
        best = read;
        chosen = slot;
      }
    }
    const discarded: string[] = [];
    for (const slot of [0, 1] as const) {
      const read = reads[slot];
      this.#sizes[slot] = read.size;
      this.#repair[slot] = !read.ok && !read.missing;
      this.#unlink[slot] = !read.ok && read.unlink;
      if (read.ok || read.missing) continue;
      const outcome = best
        ? `using generation ${best.generation} from ${this.#paths[chosen]}`
        : "no valid snapshot left: starting empty";
      discarded.push(`syncward store: discarded ${this.#paths[slot]}: ${read.reason}; ${outcome}`);
    }
    if (best) {
      this.#generation = best.generation;
      this.#durablePayload = discarded.length === 0 ? best.payload : undefined;
    } else {
      this.#generation = 0;
      this.#durablePayload = discarded.length === 0 ? "[]" : undefined;
    }
    this.#scanned = true;
    for (const line of discarded) this.#log?.(line);
    return { registrations: best ? best.registrations : new Map(), discarded };
  }

  async #readSlot(slot: Slot): Promise<SlotRead> {
    let handle: FileHandle;
    try {
      // O_NONBLOCK: a FIFO in the way must not hang the load.
      handle = await open(this.#paths[slot], constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if (code(error) === "ENOENT") return missing;
      return { ok: false, missing: false, reason: `cannot open it (${code(error)})`, unlink: true, size: -1 };
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return { ok: false, missing: false, reason: "not a regular file", unlink: true, size: -1 };
      if (stat.size > MAX_SLOT_BYTES) {
        return { ok: false, missing: false, reason: `${stat.size} bytes, over the ${MAX_SLOT_BYTES}-byte limit`, unlink: false, size: stat.size };
      }
      const bytes = Buffer.allocUnsafe(stat.size);
      let filled = 0;
      while (filled < bytes.length) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return this.#decode(slot, bytes.subarray(0, filled));
    } catch (error) {
      return { ok: false, missing: false, reason: `cannot read it (${code(error)})`, unlink: true, size: -1 };
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  #decode(slot: Slot, bytes: Buffer): SlotRead {
    const size = bytes.length;
    const bad = (reason: string): SlotRead => ({ ok: false, missing: false, reason, unlink: false, size });
    if (size < HEADER) return bad(`truncated: ${size} bytes, shorter than the ${HEADER}-byte header`);
    if (bytes.toString("latin1", 0, 4) !== "SWRD") return bad("not a syncward store file (bad magic)");
    const length = bytes.readUInt32LE(16);
    if (size !== HEADER + length) return bad(`truncated or extended: ${size} bytes, the header says ${HEADER + length}`);
    const stored = bytes.readUInt32LE(CRC_COVERED);
    const computed = crc32(bytes, crc32(bytes, 0, 0, CRC_COVERED), HEADER);
    if (stored !== computed) return bad(`checksum mismatch (stored ${stored.toString(16)}, computed ${computed.toString(16)})`);
    const version = bytes.readUInt32LE(4);
    if (version !== VERSION) {
      return bad(`format version ${version}${version > VERSION ? " (newer than this build)" : ""}; this build reads version ${VERSION}`);
    }
    const high = bytes.readUInt32LE(12);
    const generation = high * TWO_32 + bytes.readUInt32LE(8);
    if (high > 0x1fffff || generation < 1) return bad(`generation ${generation} out of range`);
    if (generation % 2 !== slot) return bad(`holds generation ${generation}, which belongs in the other slot`);
    let payload: string;
    let parsed: unknown;
    try {
      payload = utf8.decode(bytes.subarray(HEADER));
      parsed = JSON.parse(payload);
    } catch (error) {
      return bad(`generation ${generation}: payload is not UTF-8 JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(parsed)) return bad(`generation ${generation}: payload is not an array`);
    const registrations = new Map<string, StoredRegistration>();
    for (let i = 0; i < parsed.length; i++) {
      const value: unknown = parsed[i];
      const problem = registrationProblem(value);
      if (problem !== undefined) return bad(`generation ${generation}: record ${i}: ${problem}`);
      const r = value as StoredRegistration;
      const copy: StoredRegistration = {
        scope: r.scope, tag: r.tag, kind: r.kind, attempts: r.attempts, maxAttempts: r.maxAttempts,
        delayUntil: r.delayUntil, anchorOrExpiry: r.anchorOrExpiry, minInterval: r.minInterval,
        unmeteredOnly: r.unmeteredOnly, allowOnBattery: r.allowOnBattery,
      };
      const key = storeKey(copy);
      if (registrations.has(key)) return bad(`generation ${generation}: record ${i} repeats ${JSON.stringify(key)}`);
      registrations.set(key, copy);
    }
    return { ok: true, generation, payload, registrations, size };
  }
}
