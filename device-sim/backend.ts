// The simulated backend of one policy's fleet: it serves at most `capacity` requests in each
// second and answers the rest 429 with a Retry-After, fails a share of the rest with 500,
// and refuses connections while a fleet-wide backend outage lasts. It counts every request
// that reached it, per second, for the load chart and the recovery-herd figures.

import type { Rng } from "./rng.js";

export type BackendAnswer = 200 | 429 | 500;

export class Backend {
  /** Requests that reached the backend in each second of the run. */
  readonly arrivals: Uint32Array;
  readonly #served: Uint32Array;
  readonly #outages: readonly (readonly [number, number])[];

  /**
   * @param capacity requests per second this shard's share of the backend serves
   * @param outages [start, end) intervals in ms during which connections are refused
   */
  constructor(readonly capacity: number, durationMs: number, outages: readonly (readonly [number, number])[], readonly retryAfterMs: number, readonly errorRate: number) {
    const seconds = Math.ceil(durationMs / 1000) + 1;
    this.arrivals = new Uint32Array(seconds);
    this.#served = new Uint32Array(seconds);
    this.#outages = outages;
  }

  /** Whether connections are refused at `t`. */
  isDown(t: number): boolean {
    for (const [start, end] of this.#outages) if (t >= start && t < end) return true;
    return false;
  }

  /** The first outage start after `t` (Infinity when none). */
  downAfter(t: number): number {
    let next = Infinity;
    for (const [start] of this.#outages) if (start > t && start < next) next = start;
    return next;
  }

  /** A request reaching the backend at `t` (which must not be in an outage). */
  receive(t: number, rng: Rng): BackendAnswer {
    const second = Math.min(this.arrivals.length - 1, Math.floor(t / 1000));
    this.arrivals[second]!++;
    if (this.#served[second]! >= this.capacity) return 429;
    this.#served[second]!++;
    return rng.chance(this.errorRate) ? 500 : 200;
  }
}
