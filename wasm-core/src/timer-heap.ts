// A 4-ary indexed min-heap of (time, slot): one entry per registration at most, the time at
// which it next needs attention. Four children per node halve the depth of a binary heap,
// which matters at a million entries where each level is a cache miss. Ties break on the
// slot so the order is total and the reference model reproduces it. Entries (12 bytes) live
// in chunks that never move; room is reserved before a registration exists, so scheduling
// itself never allocates.

import { NONE, heapPosOf, setHeapPos } from "./registrations";
import { alloc } from "./arena";

const ENTRY: usize = 12;
const CHUNK_BITS: u32 = 16;
const CHUNK_MASK: u32 = (1 << CHUNK_BITS) - 1;
const chunks: usize = memory.data(<i32>((1 << (24 - CHUNK_BITS)) * 4));

let size: u32 = 0;
let capacity: u32 = 0;

// @ts-ignore: decorator
@inline function entry(i: u32): usize {
  return load<usize>(chunks + (<usize>(i >>> CHUNK_BITS) << 2)) + <usize>(i & CHUNK_MASK) * ENTRY;
}
// @ts-ignore: decorator
@inline function timeAt(i: u32): f64 { return load<f64>(entry(i)); }
// @ts-ignore: decorator
@inline function slotAt(i: u32): u32 { return load<u32>(entry(i), 8); }

// @ts-ignore: decorator
@inline function place(i: u32, t: f64, s: u32): void {
  const e = entry(i);
  store<f64>(e, t);
  store<u32>(e, s, 8);
  setHeapPos(s, i);
}

// @ts-ignore: decorator
@inline function before(t1: f64, s1: u32, t2: f64, s2: u32): bool {
  return t1 < t2 || (t1 == t2 && s1 < s2);
}

/** Make room for `n` entries; false when memory is refused. */
export function reserveTimers(n: u32): bool {
  while (capacity < n) {
    const chunk = alloc(<usize>(CHUNK_MASK + 1) * ENTRY);
    if (chunk == 0) return false;
    store<usize>(chunks + (<usize>(capacity >>> CHUNK_BITS) << 2), chunk);
    capacity += CHUNK_MASK + 1;
  }
  return true;
}

function siftUp(i: u32, t: f64, s: u32): void {
  while (i > 0) {
    const p = (i - 1) >>> 2;
    const pt = timeAt(p);
    const ps = slotAt(p);
    if (!before(t, s, pt, ps)) break;
    place(i, pt, ps);
    i = p;
  }
  place(i, t, s);
}

function siftDown(i: u32, t: f64, s: u32): void {
  while (true) {
    const first = (i << 2) + 1;
    if (first >= size) break;
    let best = first;
    let bt = timeAt(first);
    let bs = slotAt(first);
    const last = min<u32>(first + 4, size);
    for (let c = first + 1; c < last; c++) {
      const ct = timeAt(c);
      const cs = slotAt(c);
      if (before(ct, cs, bt, bs)) { best = c; bt = ct; bs = cs; }
    }
    if (!before(bt, bs, t, s)) break;
    place(i, bt, bs);
    i = best;
  }
  place(i, t, s);
}

export function heapSize(): u32 {
  return size;
}

export function earliest(): f64 {
  return size == 0 ? Infinity : timeAt(0);
}

export function earliestSlot(): u32 {
  return slotAt(0);
}

/** Insert, or move if already present. */
export function schedule(slot: u32, t: f64): void {
  const pos = heapPosOf(slot);
  if (pos != NONE) {
    if (before(t, slot, timeAt(pos), slot)) siftUp(pos, t, slot);
    else siftDown(pos, t, slot);
    return;
  }
  siftUp(size++, t, slot);
}

export function unschedule(slot: u32): void {
  const pos = heapPosOf(slot);
  if (pos == NONE) return;
  setHeapPos(slot, NONE);
  size--;
  if (pos == size) return;
  const t = timeAt(size);
  const s = slotAt(size);
  if (pos > 0 && before(t, s, timeAt((pos - 1) >>> 2), slotAt((pos - 1) >>> 2))) siftUp(pos, t, s);
  else siftDown(pos, t, s);
}

export function scheduledAt(slot: u32): f64 {
  const pos = heapPosOf(slot);
  return pos == NONE ? NaN : timeAt(pos);
}
