// One origin's durable IndexedDB for Node-hosted service workers: fake-indexeddb gives the
// IndexedDB semantics in memory, and every transaction that changed something is journaled
// (indexeddb-journal.ts) before its `complete` event is delivered. Guarantee: a transaction
// whose `complete` fired survives a restart, SIGKILL or power cut (given an honest fsync), and
// a transaction is there whole or not at all.
//
// How the changes are found without scanning: fake-indexeddb's raw object stores are
// instrumented to note each key a write touches, and a readwrite transaction holds its stores
// alone, so at its commit point the keys noted for its stores are exactly its changes; their
// values are read once, serialized and journaled. The commit point is where fake-indexeddb
// would fire `complete`; there the transaction waits in the "committing" state (no new
// requests, no abort) until the journal has fsynced, and overlapping transactions wait with it.
// A failed write aborts it and rolls it back: UnknownError (a full disk), QuotaExceededError
// (past the quota), DataCloneError (a value v8 cannot serialize). Blobs are read first.

import { IDBFactory, IDBKeyRange, IDBTransaction } from "fake-indexeddb";
import {
  Database,
  Index,
  ObjectStore,
  type RawDatabase,
  type RawFactory,
  type RawIndex,
  type RawObjectStore,
  type RawTransaction,
} from "./fake-indexeddb-internals.js";
import { keyString, type StoreChange, type StoreSchema, type TransactionRecord } from "./indexeddb-image.js";
import { IndexedDBJournal } from "./indexeddb-journal.js";
import { deserializeValue, readBlobs, serializeValue, type StoredValue } from "./journal-value.js";
import type { StoreFileSystem } from "./store-file-system.js";

/** What `navigator.storage.estimate()` resolves to. */
export interface OriginStorageEstimate {
  usage: number;
  quota: number;
  usageDetails: { indexedDB: number };
}

/** What a service worker of one origin gets: its `indexedDB` and `navigator.storage.estimate()`. */
export interface WorkerOriginStorage {
  readonly indexedDB: IDBFactory;
  estimate(): Promise<OriginStorageEstimate>;
  /** `navigator.storage.persisted()`: whether it outlives the process. */
  readonly persisted: boolean;
}

export interface OriginStorageOptions {
  /** The origin's journal file. */
  path: string;
  /** Bytes of live data past which a commit aborts with QuotaExceededError. */
  quota: number;
  fileSystem?: StoreFileSystem;
  /** One line per damage found at load and per failed commit. */
  log?: (line: string) => void;
}

/** A transaction's changes; `reading` settles once its Blobs' bytes are in `record`. */
interface Changed {
  record: TransactionRecord;
  /** Bytes its puts add. */
  added: number;
  reading: Promise<void>[];
}

/** Keys written since the transaction holding the store began; `cleared` if clear() ran. */
interface Touched {
  cleared: boolean;
  keys: Map<string, unknown>;
}

const open = new Set<OriginStorage>();
const owners = new WeakMap<RawDatabase, OriginStorage>();
const touched = new WeakMap<RawObjectStore, Touched>();
const DURABLE = Symbol("durable");

function ownerOf(db: RawDatabase): OriginStorage | undefined {
  let owner = owners.get(db);
  if (owner === undefined) {
    for (const storage of open) if (storage.holds(db)) owners.set(db, (owner = storage));
  }
  return owner;
}

function touch(store: RawObjectStore): Touched {
  let t = touched.get(store);
  if (!t) touched.set(store, (t = { cleared: false, keys: new Map() }));
  return t;
}

// Instrument fake-indexeddb once; stores of databases no OriginStorage owns are left alone.
const rawStore = ObjectStore.prototype;
const { storeRecord, deleteRecord, clear } = rawStore;
rawStore.storeRecord = function (this: RawObjectStore, record, noOverwrite, rollbackLog) {
  const key = storeRecord.call(this, record, noOverwrite, rollbackLog);
  if (ownerOf(this.rawDatabase)) touch(this).keys.set(keyString(key), key);
  return key;
};
rawStore.deleteRecord = function (this: RawObjectStore, key, rollbackLog) {
  if (ownerOf(this.rawDatabase)) {
    const keys = touch(this).keys;
    for (const record of this.records.values(key instanceof IDBKeyRange ? key : IDBKeyRange.only(key))) keys.set(keyString(record.key), record.key);
  }
  deleteRecord.call(this, key, rollbackLog);
};
rawStore.clear = function (this: RawObjectStore, rollbackLog) {
  if (ownerOf(this.rawDatabase)) touched.set(this, { cleared: true, keys: new Map() });
  clear.call(this, rollbackLog);
};
const rawTransaction = IDBTransaction.prototype as unknown as RawTransaction & { [DURABLE]?: boolean };
const { _start: start, _abort: abort } = rawTransaction;
rawTransaction._start = function (this: RawTransaction & { [DURABLE]?: boolean }) {
  const owner = ownerOf(this.db._rawDatabase);
  const atCommitPoint = this._state !== "finished" && !this.error && this._requests.every((r) => r.request.readyState === "done");
  if (owner === undefined || this[DURABLE] || this.mode === "readonly" || !atCommitPoint) return start.call(this);
  owner.commit(this, () => {
    this[DURABLE] = true;
    start.call(this);
  });
};
rawTransaction._abort = function (this: RawTransaction, errorName) {
  abort.call(this, errorName);
  if (ownerOf(this.db._rawDatabase)) for (const store of storesOf(this)) touched.delete(store); // rolled back
};

function storesOf(tx: RawTransaction): RawObjectStore[] {
  const stores = tx.db._rawDatabase.rawObjectStores;
  if (tx.mode === "versionchange") return [...stores.values()];
  return [...tx._scope].flatMap((name) => stores.get(name) ?? []);
}

/**
 * One origin's IndexedDB, durable: `indexedDB` is an IDBFactory whose committed transactions
 * are in the journal at `path` before their `complete` event fires.
 */
export class OriginStorage implements WorkerOriginStorage {
  readonly indexedDB: IDBFactory;
  readonly persisted = true;
  readonly #journal: IndexedDBJournal;
  readonly #databases: Map<string, RawDatabase>;
  readonly #ids = new WeakMap<RawObjectStore, number>();
  readonly #quota: number;
  readonly #log: (line: string) => void;

  private constructor(journal: IndexedDBJournal, options: OriginStorageOptions) {
    this.#journal = journal;
    this.#quota = options.quota;
    this.#log = options.log ?? (() => {});
    this.indexedDB = durableFactory(journal, this.#log);
    this.#databases = (this.indexedDB as unknown as RawFactory)._databases;
    this.#materialize();
    open.add(this);
  }

  /** Replay the journal at `options.path` and serve what it holds. Damage is logged, never thrown. */
  static async open(options: OriginStorageOptions): Promise<OriginStorage> {
    const journal = await IndexedDBJournal.open({ path: options.path, fileSystem: options.fileSystem, log: options.log });
    return new OriginStorage(journal, options);
  }

  /** `navigator.storage.estimate()`: the journal's bytes on disk, and the quota. */
  async estimate(): Promise<OriginStorageEstimate> {
    return { usage: this.#journal.size, quota: this.#quota, usageDetails: { indexedDB: this.#journal.size } };
  }

  /** Groups of transactions fsynced, and snapshots made (figures for tests and benchmarks). */
  get writes(): { writes: number; snapshots: number } {
    return { writes: this.#journal.writes, snapshots: this.#journal.snapshots };
  }

  /** Wait for commits in flight and release the journal; later read-write transactions abort (UnknownError). */
  async close(): Promise<void> {
    await this.#journal.close();
    open.delete(this);
  }

  /** Whether `db` is one of this origin's databases. */
  holds(db: RawDatabase): boolean {
    return this.#databases.get(db.name) === db;
  }

  /** At `tx`'s commit point: journal what it changed, then `deliver` its completion. */
  commit(tx: RawTransaction, deliver: () => void): void {
    let changed: Changed | undefined;
    try {
      changed = this.#record(tx);
    } catch (error) {
      this.#fail(tx, "DataCloneError", error);
      return;
    }
    if (changed === undefined) return deliver();
    const { record, added, reading } = changed;
    if (this.#journal.image.bytes + added > this.#quota) {
      this.#fail(tx, "QuotaExceededError", new Error(`the origin's quota of ${this.#quota} bytes is used up`));
      return;
    }
    tx._state = "committing";
    tx._started = true; // a versionchange that only created stores ran no request: not "waiting" either
    const written = reading.length === 0 ? this.#journal.commit(record) : Promise.all(reading).then(() => this.#journal.commit(record));
    written.then(deliver, (error: unknown) => this.#fail(tx, "UnknownError", error));
  }

  #fail(tx: RawTransaction, name: string, error: unknown): void {
    this.#log(
      `syncward indexeddb: a transaction on ${JSON.stringify(tx.db._rawDatabase.name)} aborted (${name}): ${(error as Error).message ?? String(error)}`,
    );
    tx._state = "active";
    tx._abort(name);
  }

  /** What `tx` changed, or undefined if nothing. */
  #record(tx: RawTransaction): Changed | undefined {
    const db = tx.db._rawDatabase;
    const changes: StoreChange[] = [];
    const reading: Promise<void>[] = [];
    let added = 0;
    for (const store of storesOf(tx)) {
      const t = touched.get(store);
      if (!t) continue;
      touched.delete(store);
      const change: StoreChange = { id: this.#idOf(store), puts: [], deletes: [] };
      if (t.cleared) change.clear = true;
      if (store.keyGenerator) change.generator = store.keyGenerator.num;
      for (const key of t.keys.values()) {
        const record = store.records.get(key);
        if (!record) {
          change.deletes.push(key);
          continue;
        }
        const { bytes, blobs } = serializeValue(record.value);
        const stored: StoredValue = { bytes };
        added += blobs.reduce((sum, blob) => sum + blob.size, bytes.length);
        if (blobs.length > 0) reading.push(readBlobs(blobs).then((read) => void (stored.blobs = read)));
        change.puts.push([key, stored]);
      }
      changes.push(change);
    }
    if (tx.mode !== "versionchange") return changes.length > 0 ? { record: { db: db.name, changes }, added, reading } : undefined;
    const schema = [...db.rawObjectStores.values()].map((s) => this.#schemaOf(s));
    return { record: { db: db.name, version: db.version, schema, changes }, added, reading };
  }

  #schemaOf(store: RawObjectStore): StoreSchema {
    const indexes = [...store.rawIndexes.values()].map(({ name, keyPath, multiEntry, unique }) => ({ name, keyPath, multiEntry, unique }));
    return { id: this.#idOf(store), name: store.name, keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes };
  }

  #idOf(store: RawObjectStore): number {
    let id = this.#ids.get(store);
    if (id === undefined) this.#ids.set(store, (id = this.#journal.image.nextStoreId++));
    return id;
  }

  /** Build fake-indexeddb's databases from the journal's image; indexes are derived again. */
  #materialize(): void {
    for (const [name, image] of this.#journal.image.databases) {
      const db = new Database(name, image.version);
      for (const s of image.stores.values()) {
        const store = new ObjectStore(db, s.name, s.keyPath, s.autoIncrement);
        if (store.keyGenerator) store.keyGenerator.num = s.generator;
        this.#ids.set(store, s.id);
        const indexes = s.indexes.map((i) => new Index(store, i.name, i.keyPath, i.multiEntry, i.unique));
        for (const { key, value } of s.records.values()) {
          const indexed: RawIndex[] = [];
          let record: { key: unknown; value: unknown } | undefined;
          try {
            record = { key, value: deserializeValue(value) };
            for (const index of indexes) {
              index.storeRecord(record);
              indexed.push(index);
            }
            store.records.put(record);
          } catch (error) {
            // A unique index refuses it (a damaged transaction was skipped at load): leave it out, whole.
            for (const index of indexed) index.deleteRecord(record!);
            this.#log(
              `syncward indexeddb: left out record ${JSON.stringify(key)} of ${JSON.stringify(name)}/${JSON.stringify(s.name)}: ${(error as Error).name}`,
            );
          }
        }
        for (const index of indexes) {
          index.initialized = true;
          store.rawIndexes.set(index.name, index);
        }
        db.rawObjectStores.set(s.name, store);
      }
      this.#databases.set(name, db);
    }
  }
}

/** An IDBFactory whose deleteDatabase() reports success once the deletion is journaled. */
function durableFactory(journal: IndexedDBJournal, log: (line: string) => void): IDBFactory {
  return new (class extends IDBFactory {
    override deleteDatabase(name: string): IDBOpenDBRequest {
      const request = super.deleteDatabase(name);
      const dispatch = request.dispatchEvent.bind(request);
      request.dispatchEvent = (event: Event) => {
        const db = String(name);
        if (event.type !== "success") return dispatch(event);
        // On a failed write the deletion stands in memory and is logged; it may come back after a restart.
        journal.commit({ db, deleted: true, changes: [] }).then(
          () => dispatch(event),
          (error: unknown) => {
            log(`syncward indexeddb: deleting ${JSON.stringify(db)} was not written: ${(error as Error).message}`);
            dispatch(event);
          },
        );
        return true;
      };
      return request;
    }
  })();
}
