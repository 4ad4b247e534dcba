// Seeded random numbers for the simulated world. Every draw comes from a stream derived from
// the run's seed and a stream key (a device index, a policy), so one device's world never
// depends on how many other devices run, or on which shard runs it. xoshiro128** (Blackman
// and Vigna) seeded through splitmix32: small state, fast 32-bit arithmetic, no Math.random.

/** A 32-bit mix (splitmix32's finaliser): turns a counter into a well-spread seed word. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** A stable 32-bit key from a run seed and stream words (devices, policies, processes). */
export function streamKey(seed: number, ...words: number[]): number {
  let h = mix32(seed >>> 0) ^ mix32(Math.floor(seed / 2 ** 32) >>> 0);
  for (const w of words) h = mix32(h ^ mix32(w >>> 0));
  return h >>> 0;
}

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(key: number) {
    const s = key >>> 0;
    // splitmix32's sequence: the k-th state is s + k·γ.
    this.#a = mix32((s + 0x6d2b79f5) | 0);
    this.#b = mix32((s + 2 * 0x6d2b79f5) | 0);
    this.#c = mix32((s + 3 * 0x6d2b79f5) | 0);
    this.#d = mix32((s + 4 * 0x6d2b79f5) | 0);
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  #open(): number {
    return (this.nextU32() + 1) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  exponential(mean: number): number {
    return -mean * Math.log(this.#open());
  }

  /** Weibull with the given mean and shape k (k < 1: heavier tail than exponential). */
  weibull(mean: number, shape: number): number {
    const scale = mean / gamma(1 + 1 / shape);
    return scale * Math.pow(-Math.log(this.#open()), 1 / shape);
  }

  normal(): number {
    // Box–Muller; one of the pair is discarded so the stream stays a pure function of the draw count.
    return Math.sqrt(-2 * Math.log(this.#open())) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal with the given median and the given 99th percentile (p99 > median). */
  lognormal(median: number, p99: number): number {
    const sigma = Math.log(p99 / median) / 2.326347874;
    return median * Math.exp(sigma * this.normal());
  }

  /** Pareto (type I) with scale xm and shape alpha. */
  pareto(xm: number, alpha: number): number {
    return xm / Math.pow(this.#open(), 1 / alpha);
  }

  /** Trials until the first success (≥ 1) with success probability p per trial. */
  geometric(p: number): number {
    if (p >= 1) return 1;
    return Math.max(1, Math.ceil(Math.log(this.#open()) / Math.log(1 - p)));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Lanczos approximation of Γ(x) for x > 0 (Weibull's mean-to-scale factor). */
function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const g = 7;
  // Lanczos' coefficients, written as the doubles they are (the usual 17-digit forms round to these).
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.61503916999186, 12.507343278686905, -0.13857109526572012,
    9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, x + 0.5) * Math.exp(-t) * a;
}
