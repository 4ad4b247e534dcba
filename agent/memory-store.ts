// A store that keeps registrations in memory: the simulator's, and a test double that can be
// told to fail. Durable only as long as the process lives.

import type { LoadReport, RegistrationStore, StoreSnapshot } from "./store.js";

export class MemoryStore implements RegistrationStore {
  #snapshot: StoreSnapshot = new Map();
  /** How many commits changed the stored state. */
  writes = 0;
  /** When set, commits reject with this error (a full disk, a dead flash chip). */
  failWith: Error | undefined;

  constructor(initial?: StoreSnapshot) {
    if (initial) this.#snapshot = new Map(initial);
  }

  async load(): Promise<LoadReport> {
    return { registrations: new Map(this.#snapshot), discarded: [] };
  }

  async commit(snapshot: StoreSnapshot): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.#snapshot = new Map(snapshot);
    this.writes++;
  }

  async close(): Promise<void> {}

  get snapshot(): StoreSnapshot {
    return this.#snapshot;
  }
}
