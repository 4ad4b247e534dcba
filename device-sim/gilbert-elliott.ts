// Link quality within an up period: a Gilbert–Elliott chain of 100 ms steps, Good runs
// geometric with P(G→B) = p, Bad runs geometric with P(B→G) = r, a share of Bad runs
// replaced by long stalls (Pareto, capped). TCP turns loss into delay, so a request needing
// w ms of transfer finishes after w ms of Good time: every Bad run it meets stalls it.
//
// Simulating every 100 ms step of every device for a day would cost billions of steps, so
// the chain is generated lazily, only around the moments requests are in flight: when no
// request has looked at the link for longer than the chain's mixing time, it restarts from
// its stationary distribution (exact up to (1-p-r)^n, negligible after that horizon). All
// policies of a device query the same chain at the same virtual times: they share one world.

import type { StallModel } from "./scenario.js";
import type { Rng } from "./rng.js";

export class StallProcess {
  readonly #model: StallModel;
  readonly #rng: Rng;
  readonly #horizon: number;
  /** Generated Bad runs [start, end), in order; everything between them up to #cursor is Good. */
  #starts: number[] = [];
  #ends: number[] = [];
  #cursor = -Infinity;
  /** Whether the chain at #cursor is in Bad (a run in progress is already in the arrays). */
  #bad = false;

  constructor(model: StallModel, rng: Rng) {
    this.#model = model;
    this.#rng = rng;
    this.#horizon = (10 / Math.max(model.p + model.r, 1e-9)) * model.stepMs;
  }

  /** Stationary share of time in Bad: p / (p + r). */
  get badShare(): number {
    return this.#model.p / (this.#model.p + this.#model.r);
  }

  /**
   * When a transfer needing `workMs` of Good link time, started at `start` (≥ now), ends.
   * `now` is the fleet's current time: runs that ended before it are forgotten.
   */
  transferEnd(now: number, start: number, workMs: number): number {
    this.#prune(now);
    if (this.#cursor < now - this.#horizon) this.#restart(now);
    let t = start;
    let work = workMs;
    let i = 0;
    for (;;) {
      while (i >= this.#starts.length && this.#cursor < t + work) this.#extend();
      if (i >= this.#starts.length) return t + work;
      const s = this.#starts[i]!;
      const e = this.#ends[i]!;
      i++;
      if (e <= t) continue;
      if (s >= t + work) return t + work;
      if (s > t) work -= s - t;
      t = e;
    }
  }

  #prune(now: number): void {
    let k = 0;
    while (k < this.#ends.length && this.#ends[k]! <= now) k++;
    if (k > 0) {
      this.#starts.splice(0, k);
      this.#ends.splice(0, k);
    }
  }

  #restart(at: number): void {
    this.#starts.length = 0;
    this.#ends.length = 0;
    this.#cursor = at;
    this.#bad = this.#rng.chance(this.badShare);
  }

  /** Generate the next run (Good or Bad) from the cursor. */
  #extend(): void {
    const m = this.#model;
    if (this.#bad) {
      const length = this.#rng.chance(m.longProbability)
        ? Math.min(m.longMaxMs, this.#rng.pareto(m.longMinMs, m.longAlpha))
        : this.#rng.geometric(m.r) * m.stepMs;
      this.#starts.push(this.#cursor);
      this.#ends.push(this.#cursor + length);
      this.#cursor += length;
      this.#bad = false;
    } else {
      this.#cursor += m.p > 0 ? this.#rng.geometric(m.p) * m.stepMs : Infinity;
      this.#bad = true;
    }
  }
}
