// A store that keeps registrations in memory: the simulator's, and a test double that can be
// told to fail. Durable only as long as the process lives; nothing is serialized.

import type { LoadReport, RegistrationStore, StoreChanges, StoreSnapshot, StoredRegistration } from "./store.js";

/** One settled promise serves every commit: the simulator commits millions of times. */
const DONE = Promise.resolve();

/** Registrations in memory, for as long as the process lives: the simulator's store, and a test double that can be told to fail. */
export class MemoryStore implements RegistrationStore {
  readonly #records: Map<string, StoredRegistration>;
  /** How many commits changed the stored state. */
  writes = 0;
  /** When set, commits reject with this error (a full disk, a dead flash chip). */
  failWith: Error | undefined;

  constructor(initial?: StoreSnapshot) {
    this.#records = new Map(initial);
  }

  async load(): Promise<LoadReport> {
    return { registrations: new Map(this.#records), discarded: [] };
  }

  commit(changes: StoreChanges): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    changes.forEach((record, key) => {
      if (record === null) this.#records.delete(key);
      else this.#records.set(key, record);
    });
    this.writes++;
    return DONE;
  }

  async close(): Promise<void> {}

  /** What is stored now. */
  get snapshot(): StoreSnapshot {
    return this.#records;
  }
}
