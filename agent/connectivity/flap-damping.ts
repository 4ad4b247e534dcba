// The settle time, adapted to how the link has behaved (route-flap damping, as BGP routers
// damp flapping routes): every break of a good link adds one to a penalty that halves every
// `halfLifeMs`, and the link must stay good for `minMs × 2^(penalty − 1)` (at least `minMs`,
// at most `maxMs`) before it counts as online. One outage is no flapping: its break alone
// costs nothing, and after a clean outage the wait is `minMs`. A link that keeps dropping
// earns a wait longer than its good spells, so it stops producing online edges at all.

export interface FlapDampingOptions {
  /** The settle time of a link that has not flapped lately. */
  minMs: number;
  /** The longest settle time, however much the link flaps. */
  maxMs: number;
  /** How fast a break is forgotten. */
  halfLifeMs: number;
}

/** 250 ms after a clean outage (the probe's own latency dominates); up to 1 min while flapping; a break forgotten by halves every 30 s. */
export const DEFAULT_FLAP_DAMPING: Readonly<FlapDampingOptions> = { minMs: 250, maxMs: 60_000, halfLifeMs: 30_000 };

export class FlapDamping {
  readonly #options: FlapDampingOptions;
  #penalty = 0;
  #penaltyAt = 0;

  constructor(options: FlapDampingOptions = DEFAULT_FLAP_DAMPING) {
    const { minMs, maxMs, halfLifeMs } = options;
    if (!(minMs >= 0 && maxMs >= minMs && maxMs < Infinity)) throw new RangeError(`flap damping needs 0 ≤ minMs ≤ maxMs < ∞, got ${minMs} and ${maxMs}`);
    if (!(halfLifeMs > 0 && halfLifeMs < Infinity)) throw new RangeError(`flap damping needs a positive halfLifeMs, got ${halfLifeMs}`);
    this.#options = { minMs, maxMs, halfLifeMs };
  }

  /** A good link went bad at `now` (monotonic ms). */
  recordBreak(now: number): void {
    this.#penalty = this.penalty(now) + 1;
    this.#penaltyAt = now;
  }

  /** The decayed count of recent breaks. */
  penalty(now: number): number {
    const elapsed = Math.max(0, now - this.#penaltyAt);
    return this.#penalty * 2 ** (-elapsed / this.#options.halfLifeMs);
  }

  /** How long a link that turns good at `now` must stay good, in whole ms (clocks keep whole-ms timers). */
  settleMs(now: number): number {
    const { minMs, maxMs } = this.#options;
    return Math.ceil(Math.min(maxMs, minMs * 2 ** Math.max(0, this.penalty(now) - 1)));
  }
}
