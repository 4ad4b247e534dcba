// The decisions the host drains: a FIFO ring. The raw module hands each one out packed in
// an f64 (id * 16 + code, exact below 2^53) so that draining costs one call per decision;
// the domain of the decision polled last is one more call away, for hosts that route
// decisions to per-domain ports. Entries are 16 bytes: id, code, domain, unused.
// A host drains after every input, so the ring stays small; one that never drains makes it
// grow, and if the host then refuses memory the instance traps (the one trap left).

import { alloc } from "./arena";

export const OUT_FIRE: u32 = 1;
export const OUT_TIMED_OUT: u32 = 2;
export const OUT_DROPPED: u32 = 3;

export const DROP_ATTEMPTS_EXHAUSTED: u32 = 1;
export const DROP_EXPIRED: u32 = 2;

let ring: usize = 0;
let capacity: u32 = 0;
let head: u32 = 0;
let count: u32 = 0;
let polled: u32 = 0;

function grow(): void {
  const next: u32 = capacity == 0 ? 256 : capacity << 1;
  const bigger = alloc(<usize>next << 4);
  if (bigger == 0) unreachable();
  for (let i: u32 = 0; i < count; i++) {
    memory.copy(bigger + (<usize>i << 4), ring + (<usize>((head + i) & (capacity - 1)) << 4), 16);
  }
  ring = bigger;
  capacity = next;
  head = 0;
}

/** kind in bits 0-1, arg in bits 2-3. */
export function emit(id: i32, domain: u32, kind: u32, arg: u32): void {
  if (count == capacity) grow();
  const at = ring + (<usize>((head + count) & (capacity - 1)) << 4);
  store<u32>(at, <u32>id);
  store<u32>(at, kind | (arg << 2), 4);
  store<u32>(at, domain, 8);
  count++;
}

export function pendingOutputs(): u32 {
  return count;
}

/** 0 when empty, else id * 16 + code. */
export function poll(): f64 {
  if (count == 0) return 0;
  const at = ring + (<usize>head << 4);
  const packed = <f64>load<u32>(at) * 16 + <f64>load<u32>(at, 4);
  polled = load<u32>(at, 8);
  head = (head + 1) & (capacity - 1);
  count--;
  return packed;
}

/** The domain of the decision `poll` returned last (0 before the first). */
export function polledDomain(): u32 {
  return polled;
}
