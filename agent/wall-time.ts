// Stored times are wall-clock times, so that a registration waiting out a back-off across a
// restart keeps its place in the day; the core counts in its own monotonic time base. The
// offset between the two is fixed when the Agent starts, so records written at different
// moments never drift apart, and a wall clock that jumps later moves nothing the core holds.

import type { PersistedRegistration } from "../wasm-core/binding/scheduler.js";
import type { StoredRegistration } from "./store.js";

export class WallTime {
  readonly #offset: number;

  /** `wallNow` and `coreNow` read at the same instant. */
  constructor(wallNow: number, coreNow: number) {
    this.#offset = wallNow - coreNow;
  }

  /** A core time as wall time (0 stays 0: "none"). */
  toWall(t: number): number {
    return t === 0 ? 0 : Math.round(t + this.#offset);
  }

  /** A wall time as core time (0 stays 0; never before the core's first millisecond). */
  fromWall(w: number): number {
    return w === 0 ? 0 : Math.max(1, w - this.#offset);
  }

  /** The store's record of a registration the core persisted. */
  stored(p: PersistedRegistration, scope: string, tag: string): StoredRegistration {
    // Field by field, not a spread: this runs at every change of every registration.
    return {
      scope,
      tag,
      kind: p.kind,
      attempts: p.attempts,
      maxAttempts: p.maxAttempts,
      delayUntil: this.toWall(p.delayUntil),
      anchorOrExpiry: this.toWall(p.anchorOrExpiry),
      minInterval: p.minInterval,
      unmeteredOnly: p.unmeteredOnly,
      allowOnBattery: p.allowOnBattery,
    };
  }

  /** A stored record's fields as the core restores them. */
  restored(r: StoredRegistration): PersistedRegistration {
    const { scope: _scope, tag: _tag, ...fields } = r;
    return { ...fields, delayUntil: this.fromWall(r.delayUntil), anchorOrExpiry: this.fromWall(r.anchorOrExpiry) };
  }
}
