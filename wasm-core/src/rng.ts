// xoshiro128** seeded through SplitMix32: 32-bit arithmetic only, so the reference model in
// TypeScript reproduces every draw exactly with Math.imul.

let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;
let mix: u32 = 0;

function splitmix32(): u32 {
  mix += 0x9e3779b9;
  let z = mix;
  z = (z ^ (z >>> 16)) * 0x85ebca6b;
  z = (z ^ (z >>> 13)) * 0xc2b2ae35;
  return z ^ (z >>> 16);
}

export function seedRandom(lo: u32, hi: u32): void {
  mix = lo ^ rotl<u32>(hi, 16);
  s0 = splitmix32();
  s1 = splitmix32();
  s2 = splitmix32();
  s3 = splitmix32();
}

/** One draw in [0, 1). */
export function draw(): f64 {
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return <f64>result / 4294967296.0;
}

seedRandom(0x5eed, 0);
