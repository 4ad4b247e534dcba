// Link quality within an up period: a Gilbert–Elliott chain of 100 ms steps, Good runs
// geometric with P(G→B) = p, Bad runs geometric with P(B→G) = r, a share of Bad runs
// replaced by long stalls (Pareto, capped). TCP turns loss into delay, so a request needing
// w ms of transfer finishes after w ms of Good time: every Bad run it meets stalls it.
//
// Simulating every 100 ms step of every device for a day would cost billions of steps, so
// the chain is generated lazily, only around the moments requests are in flight. To keep it a
// function of time alone (whoever asks, whenever they ask: the same world for every policy),
// time is cut into epochs of ten mixing times; each epoch's chain starts from the stationary
// distribution with a random stream of its own and its runs are clipped at the epoch's end
// (exact up to (1-p-r)^n, negligible after that horizon). Epochs nobody looks at are never drawn.

import type { StallModel } from "./scenario.js";
import type { Rng } from "./rng.js";

export class StallProcess {
  readonly #model: StallModel;
  readonly #streamOf: (epoch: number) => Rng;
  readonly #epochMs: number;
  #rng: Rng | undefined;
  #epochEnd = -Infinity;
  /** Generated Bad runs [start, end), in order; everything between them up to #cursor is Good. */
  #starts: number[] = [];
  #ends: number[] = [];
  #cursor = -Infinity;
  /** Whether the chain at #cursor is in Bad (a run in progress is already in the arrays). */
  #bad = false;

  /** @param streamOf the random stream of each epoch (the same epoch must get the same stream). */
  constructor(model: StallModel, streamOf: (epoch: number) => Rng) {
    this.#model = model;
    this.#streamOf = streamOf;
    this.#epochMs = Math.ceil(10 / Math.max(model.p + model.r, 1e-9)) * model.stepMs;
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
    // An epoch wholly before the transfer has no bearing on it: go straight to the transfer's.
    if (start >= this.#epochEnd) this.#enterEpoch(Math.floor(start / this.#epochMs));
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

  #enterEpoch(epoch: number): void {
    this.#rng = this.#streamOf(epoch);
    this.#cursor = epoch * this.#epochMs;
    this.#epochEnd = this.#cursor + this.#epochMs;
    this.#bad = this.#rng.chance(this.badShare);
  }

  /** Generate the next run (Good or Bad) from the cursor, moving into the next epoch at its end. */
  #extend(): void {
    if (this.#cursor >= this.#epochEnd) this.#enterEpoch(Math.round(this.#epochEnd / this.#epochMs));
    const m = this.#model;
    const rng = this.#rng!;
    if (this.#bad) {
      const length = rng.chance(m.longProbability) ? Math.min(m.longMaxMs, rng.pareto(m.longMinMs, m.longAlpha)) : rng.geometric(m.r) * m.stepMs;
      const end = Math.min(this.#cursor + length, this.#epochEnd);
      this.#starts.push(this.#cursor);
      this.#ends.push(end);
      this.#cursor = end;
      this.#bad = false;
    } else {
      this.#cursor = Math.min(this.#epochEnd, this.#cursor + (m.p > 0 ? rng.geometric(m.p) * m.stepMs : Infinity));
      this.#bad = true;
    }
  }
}
