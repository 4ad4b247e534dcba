// The parts of fake-indexeddb (6.2.x, pinned exactly) below its public API that durable
// worker storage needs: the raw database, object store and index it keeps records in, to
// rebuild them from the journal at start and to see which records a transaction changed.
// The package does not export them, so they are loaded from its ESM build by file URL: the
// very modules its public classes use. Typed here as far as syncward touches them.

import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

export interface RawRecord {
  key: unknown;
  value: unknown;
}

export interface RawRecordStore {
  get(key: unknown): RawRecord | undefined;
  put(record: RawRecord, noOverwrite?: boolean): RawRecord | undefined;
  values(range?: unknown): Iterable<RawRecord>;
}

export interface RawIndex {
  name: string;
  keyPath: string | string[];
  multiEntry: boolean;
  unique: boolean;
  initialized: boolean;
  storeRecord(record: RawRecord): void;
  deleteRecord(record: RawRecord): void;
}

export interface RawObjectStore {
  rawDatabase: RawDatabase;
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  keyGenerator: { num: number } | null;
  records: RawRecordStore;
  rawIndexes: Map<string, RawIndex>;
  storeRecord(record: RawRecord, noOverwrite: boolean, rollbackLog?: unknown[]): unknown;
  deleteRecord(key: unknown, rollbackLog?: unknown[]): void;
  clear(rollbackLog?: unknown[]): void;
}

export interface RawDatabase {
  name: string;
  version: number;
  rawObjectStores: Map<string, RawObjectStore>;
}

/** An IDBTransaction's internals. */
export interface RawTransaction {
  mode: IDBTransactionMode;
  _state: "active" | "inactive" | "committing" | "finished";
  _started: boolean;
  _scope: Set<string>;
  _requests: { request: { readyState: string } }[];
  error: unknown;
  db: { _rawDatabase: RawDatabase };
  _start(): void;
  _abort(errorName: string | null): void;
}

/** An IDBFactory's internals: its databases by name. */
export interface RawFactory {
  _databases: Map<string, RawDatabase>;
}

const lib = new URL("../esm/lib/", pathToFileURL(createRequire(import.meta.url).resolve("fake-indexeddb")));
const load = async <T>(name: string): Promise<T> => ((await import(new URL(`${name}.js`, lib).href)) as { default: T }).default;

export const Database = await load<new (name: string, version: number) => RawDatabase>("Database");
export const ObjectStore = await load<{
  new (db: RawDatabase, name: string, keyPath: string | string[] | null, autoIncrement: boolean): RawObjectStore;
  prototype: RawObjectStore;
}>("ObjectStore");
export const Index =
  await load<new (store: RawObjectStore, name: string, keyPath: string | string[], multiEntry: boolean, unique: boolean) => RawIndex>("Index");
