// The store port: where an Agent keeps its registrations so they survive restarts and
// crashes. Adapters: a log-structured file store in Node, IndexedDB in the page, memory in the
// simulator. The Agent hands a store only the records that changed (puts and deletes), never
// the whole state, and never persists `firing`.

import type { PersistedRegistration } from "../wasm-core/binding/scheduler.js";

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

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Why `value` is not a valid StoredRegistration, or undefined if it is one. Allocates nothing when valid. */
export function registrationProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const r = value as Record<string, unknown>;
  if (typeof r.scope !== "string") return "scope is not a string";
  if (typeof r.tag !== "string") return "tag is not a string";
  if (r.kind !== "one-shot" && r.kind !== "periodic") return "kind is neither one-shot nor periodic";
  if (!isCount(r.maxAttempts) || r.maxAttempts < 1 || r.maxAttempts > 255) return "maxAttempts is not an integer in 1..255";
  if (!isCount(r.attempts) || r.attempts >= r.maxAttempts) return "attempts is not an integer in 0..maxAttempts-1";
  if (!isCount(r.delayUntil)) return "delayUntil is not a non-negative safe integer";
  if (!isCount(r.anchorOrExpiry)) return "anchorOrExpiry is not a non-negative safe integer";
  if (!isCount(r.minInterval)) return "minInterval is not a non-negative safe integer";
  if (r.kind === "one-shot" && r.minInterval !== 0) return "a one-shot registration has a nonzero minInterval";
  if (typeof r.unmeteredOnly !== "boolean") return "unmeteredOnly is not a boolean";
  if (typeof r.allowOnBattery !== "boolean") return "allowOnBattery is not a boolean";
  return undefined;
}

/** What a store reports about a load: what it kept and what it had to discard. */
export interface LoadReport {
  registrations: StoreSnapshot;
  /** One line per discarded file or record, for the log; empty when all was well. */
  discarded: string[];
}

/**
 * What one commit changes, keyed by storeKey(): a record to put (insert or replace), or null
 * to delete that key. One entry per key, so the order of a batch does not matter.
 */
export type StoreChanges = ReadonlyMap<string, StoredRegistration | null>;

export interface RegistrationStore {
  /** Read the last durable state. Never throws for corrupt data: it reports the discard. */
  load(): Promise<LoadReport>;
  /**
   * Make `changes` durable, on top of every earlier commit. Resolves once durable; rejects if
   * they cannot be made durable, and then the state before them still stands. A lone commit
   * is written at once; commits that arrive while a write is in flight share the next one.
   * Treat `changes` as immutable once handed over.
   */
  commit(changes: StoreChanges): Promise<void>;
  /** Flush anything pending and release the files. */
  close(): Promise<void>;
}
