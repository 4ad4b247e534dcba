// The timers, in two levels so that every domain knows its own next deadline: each domain
// has a 4-ary indexed min-heap of (time, slot), one entry per registration at most (the time
// at which it next needs attention), and a heap of domains holds each non-empty domain heap's
// first entry. The minimum of the minima is the global minimum under the same total order,
// so handleTimeout pops exactly what a single heap of all timers would.
//
// Four children per node halve the depth of a binary heap, which matters at a million
// entries where each level is a cache miss. Ties break on the slot so the order is total and
// the reference model reproduces it. Entries (12 bytes) live in chunks that never move: a
// heap's first chunk holds 8 entries, each further chunk doubles its capacity, up to chunks
// of 65,536 — small for the ten registrations of a kiosk, no copying for a million. Room is
// reserved before a registration exists, so scheduling itself never allocates.

import { NONE, heapPosOf, setHeapPos, scopeOf } from "./registrations";
import { domainOfScope } from "./scopes";
import { heapOf, domainPosOf, setDomainPos } from "./domains";
import { alloc, grow } from "./arena";

const ENTRY: usize = 12;
const FIRST_BITS: u32 = 3;
const BIG_BITS: u32 = 16;
/** Chunks up to the first of 2^BIG_BITS entries: 8, 8, 16, …, 32,768. */
const SMALL_CHUNKS: u32 = BIG_BITS - FIRST_BITS + 1;
/** Positions left empty before the root (see `entry`). */
const SKIP: u32 = 3;

// A heap's header (20 bytes; domains.ts reserves room for one per domain).
const H_TABLE: usize = 0; // chunk pointers
const H_SIZE: usize = 4;
const H_CAPACITY: usize = 8;
const H_CHUNKS: usize = 12;
const H_RESERVED: usize = 16; // entries promised (live registrations of the domain)
export const HEAP_HEADER: usize = 20;

/** The heap of domains, keyed by their first entry. */
const top: usize = memory.data(<i32>HEAP_HEADER, 4);

/** Entry `i` of the heap whose chunk table is `table`. */
// @ts-ignore: decorator
@inline function entry(table: usize, i: u32): usize {
  // Entries sit 3 places on, so the four children of entry i (4i+1 … 4i+4) fill positions
  // 4(i+1) … 4(i+1)+3: never split between chunks, one address computation per level.
  const p = i + SKIP;
  // Chunk k >= 1 holds positions [2^(k+2), 2^(k+3)) below 2^16; chunk 0 holds [0, 8).
  // Or-ing 7 in folds chunk 0 into the same arithmetic.
  const lg = 31 - clz(p | ((1 << FIRST_BITS) - 1));
  const small = p < (1 << BIG_BITS);
  const k = small ? lg - FIRST_BITS + 1 : (p >>> BIG_BITS) + SMALL_CHUNKS - 1;
  const offset = small ? p - ((1 << lg) & ~((1 << FIRST_BITS) - 1)) : p & ((1 << BIG_BITS) - 1);
  return load<usize>(table + (<usize>k << 2)) + <usize>offset * ENTRY;
}
// @ts-ignore: decorator
@inline function sizeOf(h: usize): u32 { return load<u32>(h + H_SIZE); }
// @ts-ignore: decorator
@inline function tableOf(h: usize): usize { return load<usize>(h + H_TABLE); }
// @ts-ignore: decorator
@inline function timeAt(table: usize, i: u32): f64 { return load<f64>(entry(table, i)); }
// @ts-ignore: decorator
@inline function slotAt(table: usize, i: u32): u32 { return load<u32>(entry(table, i), 8); }

// @ts-ignore: decorator
@inline export function domainOfSlot(slot: u32): u32 {
  return domainOfScope(scopeOf(slot));
}

/** Who learns where an entry is: its registration, or in `top` its domain. */
// @ts-ignore: decorator
@inline function ownerOf(h: usize, s: u32): u32 {
  return h == top ? domainOfSlot(s) : s;
}

/** Store (t, s) at address `e`, entry `i` of heap `h`, and tell its owner. */
// @ts-ignore: decorator
@inline function place(h: usize, e: usize, i: u32, t: f64, s: u32, owner: u32): void {
  store<f64>(e, t);
  store<u32>(e, s, 8);
  if (h == top) setDomainPos(owner, i);
  else setHeapPos(owner, i);
}

// @ts-ignore: decorator
@inline function before(t1: f64, s1: u32, t2: f64, s2: u32): bool {
  return t1 < t2 || (t1 == t2 && s1 < s2);
}

/** Room for `n` positions in heap `h`; false when memory is refused (nothing is lost). */
function reserve(h: usize, n: u32): bool {
  while (load<u32>(h + H_CAPACITY) < n) {
    const k = load<u32>(h + H_CHUNKS);
    // The chunk table doubles at 4, 8, 16, … pointers; the old one is abandoned (a few bytes).
    if (k == 0 || (k >= 4 && (k & (k - 1)) == 0)) {
      const table = grow(load<usize>(h + H_TABLE), <usize>k << 2, <usize>max<u32>(4, k << 1) << 2);
      if (table == 0) return false;
      store<u32>(h + H_TABLE, <u32>table);
    }
    const entries: u32 = k == 0 ? 1 << FIRST_BITS : k < SMALL_CHUNKS ? 1 << (k + FIRST_BITS - 1) : 1 << BIG_BITS;
    const chunk = alloc(<usize>entries * ENTRY);
    if (chunk == 0) return false;
    store<u32>(load<usize>(h + H_TABLE) + (<usize>k << 2), <u32>chunk);
    store<u32>(h + H_CHUNKS, k + 1);
    store<u32>(h + H_CAPACITY, load<u32>(h + H_CAPACITY) + entries);
  }
  return true;
}

function siftUp(h: usize, i: u32, t: f64, s: u32, owner: u32): void {
  const table = tableOf(h);
  let e = entry(table, i);
  while (i > 0) {
    const p = (i - 1) >>> 2;
    const pe = entry(table, p);
    const pt = load<f64>(pe);
    const ps = load<u32>(pe, 8);
    if (!before(t, s, pt, ps)) break;
    place(h, e, i, pt, ps, ownerOf(h, ps));
    i = p;
    e = pe;
  }
  place(h, e, i, t, s, owner);
}

function siftDown(h: usize, i: u32, t: f64, s: u32, owner: u32): void {
  const table = tableOf(h);
  const size = sizeOf(h);
  let e = entry(table, i);
  while (true) {
    const first = (i << 2) + 1;
    if (first >= size) break;
    const children = entry(table, first);
    let best: u32 = 0;
    let bt = load<f64>(children);
    let bs = load<u32>(children, 8);
    const count = min<u32>(4, size - first);
    for (let c: u32 = 1; c < count; c++) {
      const ct = load<f64>(children + <usize>c * ENTRY);
      const cs = load<u32>(children + <usize>c * ENTRY, 8);
      if (before(ct, cs, bt, bs)) { best = c; bt = ct; bs = cs; }
    }
    if (!before(bt, bs, t, s)) break;
    place(h, e, i, bt, bs, ownerOf(h, bs));
    i = first + best;
    e = children + <usize>best * ENTRY;
  }
  place(h, e, i, t, s, owner);
}

/** Give entry `pos` the key (t, s), or add it when `pos` is NONE. */
function put(h: usize, pos: u32, t: f64, s: u32): void {
  if (pos == NONE) {
    const size = sizeOf(h);
    store<u32>(h + H_SIZE, size + 1);
    siftUp(h, size, t, s, s);
  } else if (before(t, s, timeAt(tableOf(h), pos), slotAt(tableOf(h), pos))) {
    siftUp(h, pos, t, s, s);
  } else {
    siftDown(h, pos, t, s, s);
  }
}

/** Remove entry `pos` (its owner has already been told it is gone). */
function removeAt(h: usize, pos: u32): void {
  const size = sizeOf(h) - 1;
  store<u32>(h + H_SIZE, size);
  if (pos == size) return;
  const table = tableOf(h);
  const t = timeAt(table, size);
  const s = slotAt(table, size);
  const p = (pos - 1) >>> 2;
  if (pos > 0 && before(t, s, timeAt(table, p), slotAt(table, p))) siftUp(h, pos, t, s, ownerOf(h, s));
  else siftDown(h, pos, t, s, ownerOf(h, s));
}

/** Keep a domain's entry in `top` equal to its heap's first entry. */
function follow(d: u32, h: usize): void {
  const pos = domainPosOf(d);
  if (sizeOf(h) == 0) {
    if (pos != NONE) {
      setDomainPos(d, NONE);
      removeAt(top, pos);
    }
    return;
  }
  const first = entry(tableOf(h), 0);
  const t = load<f64>(first);
  const s = load<u32>(first, 8);
  if (pos == NONE) {
    const size = sizeOf(top);
    store<u32>(top + H_SIZE, size + 1);
    siftUp(top, size, t, s, d);
    return;
  }
  const e = entry(tableOf(top), pos);
  const ot = load<f64>(e);
  const os = load<u32>(e, 8);
  if (before(t, s, ot, os)) siftUp(top, pos, t, s, d);
  else if (t != ot || s != os) siftDown(top, pos, t, s, d);
}

/** Room for one more domain in the heap of domains. */
export function reserveDomainTimer(domains: u32): bool {
  return reserve(top, domains + SKIP);
}

/** Room for one more registration's timer in domain `d`; false when memory is refused. */
export function reserveTimer(d: u32): bool {
  const h = heapOf(d);
  const promised = load<u32>(h + H_RESERVED) + 1;
  if (!reserve(h, promised + SKIP)) return false;
  store<u32>(h + H_RESERVED, promised);
  return true;
}

/** A registration of domain `d` is gone: its room may serve another. */
export function releaseTimer(d: u32): void {
  const h = heapOf(d);
  store<u32>(h + H_RESERVED, load<u32>(h + H_RESERVED) - 1);
}

export function anyTimer(): bool {
  return sizeOf(top) > 0;
}

/** The first time of all; +Infinity when no timer is set. */
export function earliest(): f64 {
  return sizeOf(top) == 0 ? Infinity : timeAt(tableOf(top), 0);
}

export function earliestSlot(): u32 {
  return slotAt(tableOf(top), 0);
}

/** The first time of domain `d`'s registrations; +Infinity when none has a timer. */
export function earliestIn(d: u32): f64 {
  const h = heapOf(d);
  return sizeOf(h) == 0 ? Infinity : timeAt(tableOf(h), 0);
}

/** Insert, or move if already present. */
export function schedule(slot: u32, t: f64): void {
  const d = domainOfSlot(slot);
  const h = heapOf(d);
  const was = heapPosOf(slot);
  put(h, was, t, slot);
  // Only a change at the first place can change the domain's entry in `top`.
  if (was == 0 || heapPosOf(slot) == 0) follow(d, h);
}

export function unschedule(slot: u32): void {
  const pos = heapPosOf(slot);
  if (pos == NONE) return;
  setHeapPos(slot, NONE);
  const d = domainOfSlot(slot);
  const h = heapOf(d);
  removeAt(h, pos);
  // The last entry, moved into a hole below the first, cannot rise above it.
  if (pos == 0) follow(d, h);
}

export function scheduledAt(slot: u32): f64 {
  const pos = heapPosOf(slot);
  return pos == NONE ? NaN : timeAt(tableOf(heapOf(domainOfSlot(slot))), pos);
}
