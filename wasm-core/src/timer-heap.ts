// The timers, in two levels so that every domain knows its own next deadline: each domain
// has a 4-ary indexed min-heap of (time, slot), one entry per registration at most (the time
// at which it next needs attention), and a heap of domains is keyed by each domain heap's
// first entry (+Infinity once it has emptied), or by a lower bound of it until that domain
// comes first (see `settle`). The minimum of the minima is the global minimum under the same
// total order, so handleTimeout pops exactly what a single heap of all timers would.
//
// Four children per node halve the depth of a binary heap, which matters at a million
// entries where each level is a cache miss. Ties break on the slot so the order is total and
// the reference model reproduces it. Entries live in chunks of 65,536 found by one shift and
// one mask, as in a single heap; only a heap's first chunk starts small (8 entries) and
// doubles until it is full — so ten registrations of a kiosk cost ten entries' worth, and a
// million cost no copy beyond the first 65,536 (and usually none: see arena.grow). Room is
// reserved before a registration exists, so scheduling itself never allocates.
//
// Cost: the register→fire→complete cycle must stay as fast as with one heap of all timers.
// So:
// - the two levels share the layout but not the code: each sift is a template instantiated
//   once per level, so the hot per-domain loops carry no test of which heap they are in;
// - the heap of domains keeps each entry's domain beside its key, instead of looking it up
//   through the slot's scope at every level it moves, and callers hand in the domain they
//   already know;
// - a domain's entry in the heap of domains is touched only when its first entry falls
//   below its key, sifted up only, or merely rekeyed when it cannot move; a later or
//   removed first entry leaves the key as a lower bound, made exact lazily (`settle`);
// - with one domain the heap of domains is not kept at all.

import { NONE, heapPosOf, setHeapPos, scopeOf } from "./registrations";
import { domainOfScope } from "./scopes";
import { heapOf, domainPosOf, setDomainPos, domainCount } from "./domains";
import { alloc, grow } from "./arena";

/** A domain heap's entry: time f64, slot u32. */
const ENTRY: usize = 12;
/** An entry of the heap of domains: time f64, slot u32, domain u32. */
const TOP_ENTRY: usize = 16;
/** A heap's first chunk starts at 8 positions. */
const FIRST: u32 = 8;
const CHUNK_BITS: u32 = 16;
/** Positions per chunk, once the first has grown to it. */
const CHUNK: u32 = 1 << CHUNK_BITS;
const CHUNK_MASK: u32 = CHUNK - 1;
/** Positions left empty before the root (see `entry`). */
const SKIP: u32 = 3;

// A heap's header (16 bytes; domains.ts reserves room for one per domain).
const H_TABLE: usize = 0; // chunk pointers
const H_SIZE: usize = 4;
const H_CAPACITY: usize = 8;
const H_RESERVED: usize = 12; // entries promised (live registrations of the domain)
export const HEAP_HEADER: usize = 16;

/** The heap of domains, keyed by their first entry. */
const top: usize = memory.data(<i32>HEAP_HEADER, 4);

/**
 * Whether a second domain exists. Until then the one domain's heap is the heap of all
 * timers and the heap of domains is neither kept nor read, so a host with one domain (most
 * of them) pays for one heap, as before there were two levels.
 */
let many = false;

/** The heap whose first entry is the first of all. */
// @ts-ignore: decorator
@inline function leader(): usize {
  // With no domain yet, the unkept heap of domains stands in as an empty heap.
  return many || domainCount() == 0 ? top : heapOf(0);
}
/** That first entry (only meaningful when the heap is not empty). */
// @ts-ignore: decorator
@inline function leaderEntry(): usize {
  return entry(tableOf(leader()), 0, many ? TOP_ENTRY : ENTRY);
}

/** Entry `i` of a heap whose chunk table is `table` and whose entries are `bytes` long. */
// @ts-ignore: decorator
@inline function entry(table: usize, i: u32, bytes: usize): usize {
  // Entries sit 3 places on, so the four children of entry i (4i+1 … 4i+4) fill positions
  // 4(i+1) … 4(i+1)+3: never split between chunks, one address computation per level.
  const p = i + SKIP;
  return load<usize>(table + (<usize>(p >>> CHUNK_BITS) << 2)) + <usize>(p & CHUNK_MASK) * bytes;
}
// @ts-ignore: decorator
@inline function sizeOf(h: usize): u32 { return load<u32>(h + H_SIZE); }
// @ts-ignore: decorator
@inline function tableOf(h: usize): usize { return load<usize>(h + H_TABLE); }

// @ts-ignore: decorator
@inline function timeAt(table: usize, i: u32, bytes: usize): f64 { return load<f64>(entry(table, i, bytes)); }
// @ts-ignore: decorator
@inline function slotAt(table: usize, i: u32, bytes: usize): u32 { return load<u32>(entry(table, i, bytes), 8); }

// @ts-ignore: decorator
@inline export function domainOfSlot(slot: u32): u32 {
  return domainOfScope(scopeOf(slot));
}

// @ts-ignore: decorator
@inline function before(t1: f64, s1: u32, t2: f64, s2: u32): bool {
  return t1 < t2 || (t1 == t2 && s1 < s2);
}

/** Store (t, s) at `e`, entry `i`, and tell its owner: the slot, or in the top level `d`. */
// @ts-ignore: decorator
@inline function place(isTop: bool, e: usize, i: u32, t: f64, s: u32, d: u32): void {
  store<f64>(e, t);
  store<u32>(e, s, 8);
  if (isTop) {
    store<u32>(e, d, 12);
    setDomainPos(d, i);
  } else {
    setHeapPos(s, i);
  }
}

/** Room for `n` positions in heap `h`; false when memory is refused (nothing is lost). */
function reserve(h: usize, n: u32, bytes: usize): bool {
  while (load<u32>(h + H_CAPACITY) < n) {
    const capacity = load<u32>(h + H_CAPACITY);
    let table = load<usize>(h + H_TABLE);
    if (table == 0) {
      table = alloc(4 << 2);
      if (table == 0) return false;
      store<u32>(h + H_TABLE, <u32>table);
    }
    if (capacity < CHUNK) {
      // The first chunk doubles: in place while it is the newest block (a domain filling
      // up), else moving and abandoning the old copy (at most as much again).
      const next: u32 = capacity == 0 ? FIRST : capacity << 1;
      const chunk = grow(capacity == 0 ? 0 : load<usize>(table), <usize>capacity * bytes, <usize>next * bytes);
      if (chunk == 0) return false;
      store<u32>(table, <u32>chunk);
      store<u32>(h + H_CAPACITY, next);
      continue;
    }
    const k = capacity >>> CHUNK_BITS;
    // The chunk table doubles at 4, 8, 16, … pointers; the old one is abandoned (a few bytes).
    if (k >= 4 && (k & (k - 1)) == 0) {
      table = grow(table, <usize>k << 2, <usize>k << 3);
      if (table == 0) return false;
      store<u32>(h + H_TABLE, <u32>table);
    }
    const chunk = alloc(<usize>CHUNK * bytes);
    if (chunk == 0) return false;
    store<u32>(table + (<usize>k << 2), <u32>chunk);
    store<u32>(h + H_CAPACITY, capacity + CHUNK);
  }
  return true;
}

/** Move (t, s) up from entry `i` of heap `h` to its place, but not above entry `floor`. */
// @ts-ignore: decorator
@inline function siftUpIn(isTop: bool, h: usize, i: u32, floor: u32, t: f64, s: u32, d: u32): void {
  const bytes = isTop ? TOP_ENTRY : ENTRY;
  const table = tableOf(h);
  let e = entry(table, i, bytes);
  while (i > floor) {
    const p = (i - 1) >>> 2;
    const pe = entry(table, p, bytes);
    const pt = load<f64>(pe);
    const ps = load<u32>(pe, 8);
    if (!before(t, s, pt, ps)) break;
    place(isTop, e, i, pt, ps, isTop ? load<u32>(pe, 12) : 0);
    i = p;
    e = pe;
  }
  place(isTop, e, i, t, s, d);
}

/**
 * Floyd's sift-down: the hole at `i` follows the smaller children to a leaf, then (t, s)
 * rises from there. What sinks is nearly always a last entry or a later key that belongs
 * near the leaves, so this saves the comparison with (t, s) at every level on the way down.
 */
// @ts-ignore: decorator
@inline function siftDownIn(isTop: bool, h: usize, i: u32, t: f64, s: u32, d: u32): void {
  const bytes = isTop ? TOP_ENTRY : ENTRY;
  const table = tableOf(h);
  const size = sizeOf(h);
  const floor = i;
  let e = entry(table, i, bytes);
  while (true) {
    const first = (i << 2) + 1;
    if (first >= size) break;
    const children = entry(table, first, bytes);
    let best: u32 = 0;
    let bt = load<f64>(children);
    let bs = load<u32>(children, 8);
    const count = min<u32>(4, size - first);
    for (let c: u32 = 1; c < count; c++) {
      const ct = load<f64>(children + <usize>c * bytes);
      const cs = load<u32>(children + <usize>c * bytes, 8);
      if (before(ct, cs, bt, bs)) { best = c; bt = ct; bs = cs; }
    }
    const be = children + <usize>best * bytes;
    place(isTop, e, i, bt, bs, isTop ? load<u32>(be, 12) : 0);
    i = first + best;
    e = be;
  }
  if (isTop) siftUpTop(i, floor, t, s, d);
  else siftUp(h, i, floor, t, s);
}

function siftUp(h: usize, i: u32, floor: u32, t: f64, s: u32): void {
  siftUpIn(false, h, i, floor, t, s, 0);
}

function siftDown(h: usize, i: u32, t: f64, s: u32): void {
  siftDownIn(false, h, i, t, s, 0);
}

function siftUpTop(i: u32, floor: u32, t: f64, s: u32, d: u32): void {
  siftUpIn(true, top, i, floor, t, s, d);
}

function siftDownTop(i: u32, t: f64, s: u32, d: u32): void {
  siftDownIn(true, top, i, t, s, d);
}

/** Overwrite the key of entry `pos` of the heap of domains, which keeps its place. */
// @ts-ignore: decorator
@inline function rekeyTop(pos: u32, t: f64, s: u32): void {
  const e = entry(tableOf(top), pos, TOP_ENTRY);
  store<f64>(e, t);
  store<u32>(e, s, 8);
}

/**
 * Domain `d`'s first entry became (t, s), earlier than before (or its first at all). Its key
 * may be lower still, a bound left by a removal (see `settle`): then it stays, still a bound.
 */
function firstFell(d: u32, t: f64, s: u32): void {
  let pos = domainPosOf(d);
  if (pos == NONE) {
    pos = sizeOf(top);
    store<u32>(top + H_SIZE, pos + 1);
  } else {
    const e = entry(tableOf(top), pos, TOP_ENTRY);
    if (!before(t, s, load<f64>(e), load<u32>(e, 8))) return;
    // Already first of all: nothing can move.
    if (pos == 0) { rekeyTop(0, t, s); return; }
  }
  siftUpTop(pos, 0, t, s, d);
}

/**
 * Make the first key of the heap of domains exact. A domain's key is updated at once only
 * when its first entry falls; when that entry goes or gets later the old key stays, a lower
 * bound of the true one, because re-sifting the domain there cost most of a domain's
 * online/offline flap (each of its timers leaving in turn sank it from the top to a leaf and
 * back). So here, while the first key is stale, it takes its domain's true first entry
 * (+Infinity, NONE once empty, which sinks below every real one: the heap of domains never
 * has a hole) and sinks. Once the first key is exact it is the first of all, every other key
 * being at most its domain's true one. Each sinking pays for one earlier removal.
 */
function settle(): void {
  if (sizeOf(top) == 0) return;
  const table = tableOf(top);
  const e = entry(table, 0, TOP_ENTRY);
  while (true) {
    const d = load<u32>(e, 12);
    const h = heapOf(d);
    let t = Infinity;
    let s = NONE;
    if (sizeOf(h) > 0) {
      const first = entry(tableOf(h), 0, ENTRY);
      t = load<f64>(first);
      s = load<u32>(first, 8);
    }
    if (t == load<f64>(e) && s == load<u32>(e, 8)) return;
    siftDownTop(0, t, s, d);
  }
}

/** A second domain now exists: the heap of domains takes over, from the first domain's entry. */
export function shareTimers(): void {
  many = true;
  const h = heapOf(0);
  if (sizeOf(h) > 0) {
    const first = entry(tableOf(h), 0, ENTRY);
    firstFell(0, load<f64>(first), load<u32>(first, 8));
  }
}

/** Room for one more domain in the heap of domains. */
export function reserveDomainTimer(domains: u32): bool {
  return reserve(top, domains + SKIP, TOP_ENTRY);
}

/** Room for one more registration's timer in domain `d`; false when memory is refused. */
export function reserveTimer(d: u32): bool {
  const h = heapOf(d);
  const promised = load<u32>(h + H_RESERVED) + 1;
  if (promised + SKIP > load<u32>(h + H_CAPACITY) && !reserve(h, promised + SKIP, ENTRY)) return false;
  store<u32>(h + H_RESERVED, promised);
  return true;
}

/** A registration of domain `d` is gone: its room may serve another. */
export function releaseTimer(d: u32): void {
  const h = heapOf(d);
  store<u32>(h + H_RESERVED, load<u32>(h + H_RESERVED) - 1);
}

export function anyTimer(): bool {
  return earliest() < Infinity;
}

/** The first time of all; +Infinity when no timer is set. */
export function earliest(): f64 {
  if (many) settle();
  return sizeOf(leader()) > 0 ? load<f64>(leaderEntry()) : Infinity;
}

/** The slot of `earliest`, which it follows (so the heap of domains is settled). */
export function earliestSlot(): u32 {
  return load<u32>(leaderEntry(), 8);
}

/** The domain of `earliestSlot`, which also follows `earliest`. */
export function earliestDomain(): u32 {
  return many ? load<u32>(leaderEntry(), 12) : 0;
}

/** The first time of domain `d`'s registrations; +Infinity when none has a timer. */
export function earliestIn(d: u32): f64 {
  const h = heapOf(d);
  return sizeOf(h) == 0 ? Infinity : load<f64>(entry(tableOf(h), 0, ENTRY));
}

/** Insert, or move if already present; `d` is the slot's domain (callers know it). */
export function schedule(slot: u32, d: u32, t: f64): void {
  const h = heapOf(d);
  const was = heapPosOf(slot);
  if (was == NONE) {
    const size = sizeOf(h);
    store<u32>(h + H_SIZE, size + 1);
    siftUp(h, size, 0, t, slot);
  } else {
    // The slot is the same, so the time alone says which way the entry moves.
    const old = load<f64>(entry(tableOf(h), was, ENTRY));
    if (t > old) {
      // A later first entry leaves the domain's key as a bound (see `settle`).
      siftDown(h, was, t, slot);
      return;
    }
    if (t == old) return;
    siftUp(h, was, 0, t, slot);
  }
  // Only an entry that reaches the first place changes the domain's entry in `top`.
  if (many && heapPosOf(slot) == 0) firstFell(d, t, slot);
}

/** Take the slot's timer out, if it has one; `d` is the slot's domain. */
export function unschedule(slot: u32, d: u32): void {
  const pos = heapPosOf(slot);
  if (pos == NONE) return;
  setHeapPos(slot, NONE);
  const h = heapOf(d);
  const size = sizeOf(h) - 1;
  store<u32>(h + H_SIZE, size);
  if (pos != size) {
    const table = tableOf(h);
    const last = entry(table, size, ENTRY);
    const t = load<f64>(last);
    const s = load<u32>(last, 8);
    // The last entry, moved into the hole, may belong on either side of it.
    const p = (pos - 1) >>> 2;
    if (pos > 0 && before(t, s, timeAt(table, p, ENTRY), slotAt(table, p, ENTRY))) siftUp(h, pos, 0, t, s);
    else siftDown(h, pos, t, s);
  }
  // A first entry gone leaves the domain's key as a bound (see `settle`).
}

export function scheduledAt(slot: u32): f64 {
  const pos = heapPosOf(slot);
  return pos == NONE ? NaN : load<f64>(entry(tableOf(heapOf(domainOfSlot(slot))), pos, ENTRY));
}
