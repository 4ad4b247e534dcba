// The store port: where an Agent keeps its registrations so they survive restarts and
// crashes. Adapters: a crash-safe file store in Node, IndexedDB in the page, memory in the
// simulator. The Agent never persists `firing` and never writes when nothing changed.

import type { PersistedRegistration } from "./core/scheduler.js";

/**
 * One sync registration as stored: the core's persisted fields plus its scope and tag, with
 * `delayUntil` and `anchorOrExpiry` in wall-clock milliseconds since the epoch (0 = none),
 * so that they mean the same after a restart.
 */
export interface StoredRegistration extends PersistedRegistration {
  /** The service worker registration's scope URL. */
  scope: string;
  tag: string;
}

/** The whole persisted state: every registration, keyed by `${kind} ${scope} ${tag}`. */
export type StoreSnapshot = ReadonlyMap<string, StoredRegistration>;

export function storeKey(r: Pick<StoredRegistration, "kind" | "scope" | "tag">): string {
  return `${r.kind} ${r.scope} ${r.tag}`;
}

/** What a store reports about a load: what it kept and what it had to discard. */
export interface LoadReport {
  registrations: StoreSnapshot;
  /** One line per discarded file or record, for the log; empty when all was well. */
  discarded: string[];
}

export interface RegistrationStore {
  /** Read the last durable state. Never throws for corrupt data: it reports the discard. */
  load(): Promise<LoadReport>;
  /**
   * Make `snapshot` the durable state. Resolves once it is durable (commits within a short
   * window share one flush); rejects if it cannot be made durable, and then the previous
   * durable state still stands.
   */
  commit(snapshot: StoreSnapshot): Promise<void>;
  /** Flush anything pending and release the files. */
  close(): Promise<void>;
}
