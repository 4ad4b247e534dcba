// The reference model's random source: xoshiro128** seeded through SplitMix32, in 32-bit
// unsigned arithmetic (Math.imul and >>> 0), as SEMANTICS.md "Random source" prescribes.
// A draw is next() / 2^32, in [0, 1).

/** Rotate a 32-bit word left by k bits. */
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Xoshiro128 {
  #s = [0, 0, 0, 0];

  constructor(lo = 0x5eed, hi = 0) {
    this.seed(lo, hi);
  }

  /** Seed from two 32-bit words through SplitMix32 (state = lo ^ rotl(hi, 16)). */
  seed(lo: number, hi: number): void {
    let mix = (lo ^ rotl(hi >>> 0, 16)) >>> 0;
    const splitmix32 = (): number => {
      mix = (mix + 0x9e3779b9) >>> 0;
      let z = mix;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s = [splitmix32(), splitmix32(), splitmix32(), splitmix32()];
  }

  /** The next 32-bit output. */
  next(): number {
    let [s0, s1, s2, s3] = this.#s as [number, number, number, number];
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    this.#s = [s0, s1, s2, s3];
    return result;
  }

  /** One draw in [0, 1). */
  draw(): number {
    return this.next() / 4294967296;
  }
}
