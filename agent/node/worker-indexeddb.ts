// An origin's IndexedDB and `navigator.storage`, built in the thread of the origin's service
// workers: the one place where the workers' `indexedDB` and the IDB interface objects come
// from. With a directory it is the origin's durable OriginStorage (its journal, opened here, in
// the only thread that writes it); without one a private in-memory fake-indexeddb, gone when
// the thread ends.

import {
  IDBCursor,
  IDBCursorWithValue,
  IDBDatabase,
  IDBFactory,
  IDBIndex,
  IDBKeyRange,
  IDBObjectStore,
  IDBOpenDBRequest,
  IDBRequest,
  IDBTransaction,
  IDBVersionChangeEvent,
} from "fake-indexeddb";
import type { WorkerOriginStorage } from "./origin-storage.js";
import { openWorkerStorage } from "./worker-storage.js";

export interface WorkerIndexedDBOptions {
  /** The origin the storage belongs to, as browsers partition it. */
  origin: string;
  /** Where it lives on disk (the directory must exist); undefined: nowhere (in memory). */
  directory: string | undefined;
  /** Damage found at load, failed commits. */
  log: (line: string) => void;
}

export interface WorkerIndexedDB extends WorkerOriginStorage {
  /** The interface objects a worker's global exposes (IDBKeyRange, IDBDatabase, …). */
  interfaces: Record<string, unknown>;
  /** Wait for the commits in flight and release the storage. */
  close(): Promise<void>;
}

const INTERFACES = {
  IDBCursor,
  IDBCursorWithValue,
  IDBDatabase,
  IDBFactory,
  IDBIndex,
  IDBKeyRange,
  IDBObjectStore,
  IDBOpenDBRequest,
  IDBRequest,
  IDBTransaction,
  IDBVersionChangeEvent,
};

export async function openWorkerIndexedDB({ origin, directory, log }: WorkerIndexedDBOptions): Promise<WorkerIndexedDB> {
  if (directory === undefined) {
    return {
      indexedDB: new IDBFactory(),
      estimate: async () => ({ usage: 0, quota: 0, usageDetails: { indexedDB: 0 } }),
      persisted: false,
      interfaces: INTERFACES,
      close: async () => {},
    };
  }
  const storage = await openWorkerStorage({ directory, origin, log });
  return {
    indexedDB: storage.indexedDB,
    estimate: () => storage.estimate(),
    persisted: storage.persisted,
    interfaces: INTERFACES,
    close: () => storage.close(),
  };
}
