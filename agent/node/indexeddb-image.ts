// The durable state of one origin's IndexedDB, as its journal holds it: databases, their
// object stores (schema, key generator) and records, each value kept as the bytes of its
// structured serialization (journal-value.ts). It changes only by whole committed transactions
// (TransactionRecord), the same way when the journal is replayed at start and when a commit
// has just been fsynced, so what a snapshot writes is exactly what the log would rebuild.
// Indexes are schema only: their entries are derived from the records when loaded.

import { storedSize, type StoredValue } from "./journal-value.js";

/** An index as created by `createIndex`. */
export interface IndexSchema {
  name: string;
  keyPath: string | string[];
  multiEntry: boolean;
  unique: boolean;
}

/** An object store as created by `createObjectStore`; `id` survives renames. */
export interface StoreSchema {
  id: number;
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: IndexSchema[];
}

/** What one committed transaction changed in one object store. */
export interface StoreChange {
  id: number;
  /** `clear()` ran first. */
  clear?: boolean;
  /** The key generator's current number after the transaction (autoIncrement stores). */
  generator?: number;
  /** Records as they stand after the transaction: key and serialized value. */
  puts: [unknown, StoredValue][];
  deletes: unknown[];
}

/** One committed transaction of one database, or the deletion of a database. */
export interface TransactionRecord {
  db: string;
  /** `deleteDatabase()` succeeded. */
  deleted?: boolean;
  /** A versionchange transaction: the new version and the whole schema after it. */
  version?: number;
  schema?: StoreSchema[];
  changes: StoreChange[];
}

export interface ImageRecord {
  key: unknown;
  value: StoredValue;
}

export interface StoreImage extends StoreSchema {
  generator: number;
  /** By keyString() of the key. */
  records: Map<string, ImageRecord>;
}

export interface DatabaseImage {
  version: number;
  stores: Map<number, StoreImage>;
}

/**
 * A canonical string for an IndexedDB key: equal keys (IndexedDB's cmp() is 0) give equal
 * strings. Keys come from any realm, so types are told by their internal class, not instanceof.
 */
export function keyString(key: unknown): string {
  if (typeof key === "number") return `n${key === 0 ? 0 : key}`;
  if (typeof key === "string") return `s${key}`;
  if (Array.isArray(key)) return `a${JSON.stringify(key.map(keyString))}`;
  const kind = Object.prototype.toString.call(key);
  if (kind === "[object Date]") return `d${(key as Date).getTime()}`;
  if (kind === "[object ArrayBuffer]") return `b${Buffer.from(key as ArrayBuffer).toString("hex")}`;
  if (ArrayBuffer.isView(key)) return `b${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex")}`;
  throw new TypeError(`not an IndexedDB key: ${kind}`);
}

const RECORD_OVERHEAD = 16;
const recordBytes = (keyText: string, value: StoredValue) => keyText.length + storedSize(value) + RECORD_OVERHEAD;

/** The durable IndexedDB state of one origin. */
export class OriginImage {
  readonly databases = new Map<string, DatabaseImage>();
  /** About what a snapshot of this state takes on disk. */
  bytes = 0;
  /** The next unused object store id. */
  nextStoreId = 1;

  /** Apply one committed transaction; returns a phrase per part that could not apply. */
  apply(record: TransactionRecord): string[] {
    const problems: string[] = [];
    if (record.deleted) {
      const db = this.databases.get(record.db);
      if (db) for (const store of db.stores.values()) this.#drop(store);
      this.databases.delete(record.db);
      return problems;
    }
    let db = this.databases.get(record.db);
    if (record.schema !== undefined) {
      if (!db) this.databases.set(record.db, (db = { version: 0, stores: new Map() }));
      db.version = record.version ?? db.version;
      db.stores = this.#reshape(db.stores, record.schema);
    }
    if (!db) return [`changes to database ${JSON.stringify(record.db)}, which does not exist`];
    for (const change of record.changes) {
      const store = db.stores.get(change.id);
      if (!store) {
        problems.push(`changes to object store ${change.id} of ${JSON.stringify(record.db)}, which does not exist`);
        continue;
      }
      if (change.clear) this.#drop(store);
      for (const key of change.deletes) this.#put(store, keyString(key), undefined);
      for (const [key, value] of change.puts) this.#put(store, keyString(key), { key, value });
      if (change.generator !== undefined) store.generator = change.generator;
    }
    return problems;
  }

  /** The stores after a versionchange: kept (by id) with their records, new ones empty, the rest dropped. */
  #reshape(before: Map<number, StoreImage>, schema: StoreSchema[]): Map<number, StoreImage> {
    const after = new Map<number, StoreImage>();
    for (const s of schema) {
      const kept = before.get(s.id);
      after.set(s.id, kept ? { ...kept, name: s.name, indexes: s.indexes } : { ...s, generator: 0, records: new Map() });
      this.nextStoreId = Math.max(this.nextStoreId, s.id + 1);
    }
    for (const [id, store] of before) if (!after.has(id)) this.#drop(store);
    return after;
  }

  #put(store: StoreImage, keyText: string, record: ImageRecord | undefined): void {
    const old = store.records.get(keyText);
    if (old) this.bytes -= recordBytes(keyText, old.value);
    if (record === undefined) {
      store.records.delete(keyText);
    } else {
      store.records.set(keyText, record);
      this.bytes += recordBytes(keyText, record.value);
    }
  }

  #drop(store: StoreImage): void {
    for (const [keyText, { value }] of store.records) this.bytes -= recordBytes(keyText, value);
    store.records.clear();
  }
}
