// A histogram of durations with logarithmic buckets (2 % wide), so percentiles over millions
// of samples cost a fixed 1,200 counters, and shards merge by adding counts.

const PER_E = 50; // buckets per factor e: bucket width ≈ 2 %
const BUCKETS = 1200; // covers up to e^(1200/50) ms ≈ 300 days

function bucketOf(ms: number): number {
  return Math.min(BUCKETS - 1, Math.max(0, Math.floor(Math.log1p(Math.max(0, ms)) * PER_E)));
}

/** The value a bucket stands for: its geometric middle. */
function valueOf(bucket: number): number {
  return Math.expm1((bucket + 0.5) / PER_E);
}

export interface HistogramJson {
  /** [bucket, count] for the non-empty buckets. */
  buckets: [number, number][];
  count: number;
  max: number;
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #max = 0;

  add(ms: number): void {
    this.#counts[bucketOf(ms)]!++;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }

  /** The q-quantile (0–1), to the bucket's 2 %; NaN when empty. */
  quantile(q: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b]!;
      if (seen >= rank) return Math.min(this.#max, valueOf(b));
    }
    return this.#max;
  }

  /** Points of the cumulative distribution: [ms, share ≤ ms], one per non-empty bucket. */
  cdf(): [number, number][] {
    const points: [number, number][] = [];
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = this.#counts[b]!;
      if (c === 0) continue;
      seen += c;
      points.push([Math.min(this.#max, valueOf(b)), seen / this.#count]);
    }
    return points;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    for (let b = 0; b < BUCKETS; b++) if (this.#counts[b]! > 0) buckets.push([b, this.#counts[b]!]);
    return { buckets, count: this.#count, max: this.#max };
  }

  /** Add another histogram's counts (a shard's). */
  merge(json: HistogramJson): void {
    for (const [b, c] of json.buckets) this.#counts[b]! += c;
    this.#count += json.count;
    if (json.count > 0 && json.max > this.#max) this.#max = json.max;
  }
}
