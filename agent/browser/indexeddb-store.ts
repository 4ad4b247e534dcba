// The page's RegistrationStore: one IndexedDB object store per origin, one record per
// registration keyed by storeKey. A commit puts and deletes just the records that changed, in
// one readwrite transaction with `durability: "strict"`, so it resolves only once the browser
// has flushed it (Chromium and WebKit otherwise acknowledge before the write reaches the
// disk), and a transaction is all or nothing: a failed commit leaves the previous state standing.
// Only the leader tab writes, but for a worker with no window open: it reads (getTags) and
// removes (periodic unregister) on its own, as no Agent runs then.

import { registrationProblem, storeKey, type LoadReport, type RegistrationStore, type StoreChanges, type StoredRegistration } from "../store.js";

const DATABASE = "syncward";
const VERSION = 1;
const REGISTRATIONS = "registrations";

function requested<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new DOMException("IndexedDB request failed", "UnknownError"));
  });
}

function completed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new DOMException("IndexedDB transaction failed", "UnknownError"));
    transaction.onabort = () => reject(transaction.error ?? new DOMException("IndexedDB transaction aborted", "AbortError"));
  });
}

function open(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const request = factory.open(name, VERSION);
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(REGISTRATIONS)) request.result.createObjectStore(REGISTRATIONS);
  };
  // Another tab's older connection holds the upgrade back; it closes itself on versionchange.
  request.onblocked = () => {};
  return requested(request).then((db) => {
    db.onversionchange = () => db.close();
    return db;
  });
}

/** Every stored record with the problems of the ones that are not registrations. */
async function readAll(db: IDBDatabase): Promise<LoadReport> {
  const transaction = db.transaction(REGISTRATIONS, "readonly");
  const store = transaction.objectStore(REGISTRATIONS);
  const [keys, values] = await Promise.all([requested(store.getAllKeys()), requested(store.getAll())]);
  const registrations = new Map<string, StoredRegistration>();
  const discarded: string[] = [];
  values.forEach((value: unknown, i) => {
    const problem = registrationProblem(value);
    if (problem === undefined) registrations.set(storeKey(value as StoredRegistration), value as StoredRegistration);
    else discarded.push(`discarded the stored record ${JSON.stringify(String(keys[i]))} in IndexedDB "${db.name}": ${problem}`);
  });
  return { registrations, discarded };
}

export class IndexedDBStore implements RegistrationStore {
  readonly #db: Promise<IDBDatabase>;
  #closed = false;

  /** `name` is the database's; tests use their own. */
  constructor(factory: IDBFactory = indexedDB, name = DATABASE) {
    this.#db = open(factory, name);
    // An open that fails surfaces at load or commit, not as an unhandled rejection here.
    this.#db.catch(() => {});
  }

  async load(): Promise<LoadReport> {
    return readAll(await this.#db);
  }

  async commit(changes: StoreChanges): Promise<void> {
    if (this.#closed) throw new DOMException("the store is closed", "InvalidStateError");
    const db = await this.#db;
    const transaction = db.transaction(REGISTRATIONS, "readwrite", { durability: "strict" });
    const done = completed(transaction);
    const store = transaction.objectStore(REGISTRATIONS);
    try {
      for (const [key, registration] of changes) {
        if (registration === null) store.delete(key);
        else store.put(registration, key);
      }
    } catch (error) {
      // A record that cannot be stored (not cloneable) must not leave the other changes behind.
      transaction.abort();
      await done.catch(() => {});
      throw error;
    }
    await done;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    (await this.#db.catch(() => undefined))?.close();
  }
}

/**
 * The tags stored for one registration scope, for a worker's `getTags()` when no window (and
 * so no Agent) is there to ask. What is stored is what the Agent made durable.
 */
export async function storedTags(scope: string, kind: StoredRegistration["kind"], factory: IDBFactory = indexedDB, name = DATABASE): Promise<string[]> {
  const db = await open(factory, name);
  try {
    const { registrations } = await readAll(db);
    return [...registrations.values()].filter((r) => r.scope === scope && r.kind === kind).map((r) => r.tag);
  } finally {
    db.close();
  }
}

/**
 * Remove one stored registration, for a worker's `periodicSync.unregister()` when no window
 * (and so no Agent) is there to ask: the next Agent to start does not find it.
 */
export async function removeStored(
  registration: Pick<StoredRegistration, "kind" | "scope" | "tag">,
  factory: IDBFactory = indexedDB,
  name = DATABASE,
): Promise<void> {
  const store = new IndexedDBStore(factory, name);
  try {
    await store.commit(new Map([[storeKey(registration), null]]));
  } finally {
    await store.close();
  }
}
