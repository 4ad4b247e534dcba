// The Agent's side of the store: the records that changed since the last commit, one entry per
// key (the latest wins), handed to the store as one batch per turn. A burst of register()
// calls in one turn becomes one commit; the store then lets commits that arrive while it
// writes share its next write.

import type { RegistrationStore, StoredRegistration } from "./store.js";

export class StoreWriter {
  readonly #store: RegistrationStore;
  #changes = new Map<string, StoredRegistration | null>();
  /** The commit of this turn's changes, taken when the turn ends. */
  #next: Promise<void> | undefined;
  /** The last commit handed to the store (stores finish commits in order). */
  #last: Promise<void> = Promise.resolve();

  constructor(store: RegistrationStore) {
    this.#store = store;
  }

  /** Whether changes wait for a commit. */
  get dirty(): boolean {
    return this.#changes.size > 0;
  }

  /** `key` is storeKey(record); the caller keeps it, so that every change reuses one string. */
  put(key: string, record: StoredRegistration): void {
    this.#changes.set(key, record);
  }

  delete(key: string): void {
    this.#changes.set(key, null);
  }

  /**
   * Resolves once every change made so far is durable. If the commit fails, its changes wait
   * for the next one (unless changed again meanwhile): the store still holds what it held.
   */
  durable(): Promise<void> {
    this.#next ??= Promise.resolve().then(() => {
      this.#next = undefined;
      // Nothing new: durable once the last commit settles (a failed one's changes wait here again).
      if (this.#changes.size === 0)
        return this.#last.then(
          () => {},
          () => {},
        );
      const batch = this.#changes;
      this.#changes = new Map();
      return (this.#last = this.#store.commit(batch).catch((error: unknown) => {
        for (const [key, change] of batch) if (!this.#changes.has(key)) this.#changes.set(key, change);
        throw error;
      }));
    });
    return this.#next;
  }
}
