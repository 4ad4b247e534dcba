// A service worker's IndexedDB, built in its thread: the one place where the worker's
// `indexedDB` and the IDB interface objects come from. Today each worker gets a private,
// in-memory fake-indexeddb (gone when the thread ends); a durable engine plugs in here,
// given the origin whose storage it is and the directory it may keep it in.

import {
  IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBKeyRange, IDBObjectStore,
  IDBOpenDBRequest, IDBRequest, IDBTransaction, IDBVersionChangeEvent,
} from "fake-indexeddb";

export interface WorkerStorage {
  /** The origin the storage belongs to, as browsers partition it. */
  origin: string;
  /** Where it may live on disk; undefined: nowhere (in memory). */
  directory: string | undefined;
}

export interface WorkerIndexedDB {
  indexedDB: IDBFactory;
  /** The interface objects a worker's global exposes (IDBKeyRange, IDBDatabase, …). */
  interfaces: Record<string, unknown>;
}

export function openWorkerIndexedDB(_storage: WorkerStorage): WorkerIndexedDB {
  return {
    indexedDB: new IDBFactory(),
    interfaces: {
      IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBKeyRange, IDBObjectStore,
      IDBOpenDBRequest, IDBRequest, IDBTransaction, IDBVersionChangeEvent,
    },
  };
}
