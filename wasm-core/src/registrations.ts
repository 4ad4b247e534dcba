// Registration records: 44 bytes each, in chunks of 65,536 that never move, so growth costs
// no copy and no transient doubling. Each record's timer-heap position lives apart in a
// dense array: the heap rewrites positions on every level it moves an entry, and 4 bytes
// per slot stay in cache where a 44-byte record at a million registrations would not.
// Slots are reused last-freed-first; a slot's generation
// (7 bits, in the id above the 24-bit slot) makes stale ids detectable.

import { policy, MAX_REGISTRATIONS } from "./policy";
import { alloc } from "./arena";
import { reserveTimer, releaseTimer } from "./timer-heap";

export const NONE: u32 = 0xffffffff;

export const STATE_PENDING: u8 = 0;
export const STATE_WAITING: u8 = 1;
export const STATE_FIRING: u8 = 2;
export const STATE_REREGISTERED_WHILE_FIRING: u8 = 3;
export const STATE_SUSPENDED: u8 = 4;
/** Returned by `complete` when the registration is gone. */
export const STATE_REMOVED: i32 = 5;

export const KIND_ONE_SHOT: u8 = 0;
export const KIND_PERIODIC: u8 = 1;

export const F_RESOLVED: u8 = 1;
export const F_UNMETERED_ONLY: u8 = 2;
export const F_NO_BATTERY: u8 = 4;
export const F_PARKED: u8 = 8;
export const F_LAST_CHANCE: u8 = 16;
export const F_TIMEOUT_COST: u8 = 32;
export const F_LIVE: u8 = 64;
/** Holds a reserved point of its domain's pace (pace.ts): when its timer pops it fires without waiting again. */
export const F_PACED: u8 = 128;

const O_STATE: usize = 0;
const O_FLAGS: usize = 1;
const O_ATTEMPTS: usize = 2;
const O_MAX_ATTEMPTS: usize = 3;
const O_GEN: usize = 4;
const O_KIND: usize = 5;
const O_ABORTS: usize = 6;
const O_SCOPE: usize = 8;
const O_NEXT: usize = 12;
const O_PREV: usize = 16;
const O_T0: usize = 20;
const O_INTERVAL: usize = 28;
const O_LAST_DELAY: usize = 36;

export const RECORD_SIZE: usize = 44;
const CHUNK_BITS: u32 = 16;
const CHUNK_MASK: u32 = (1 << CHUNK_BITS) - 1;
const SLOT_BITS: u32 = 24;
const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
const chunks: usize = memory.data(<i32>((1 << (SLOT_BITS - CHUNK_BITS)) * 4));
const positionChunks: usize = memory.data(<i32>((1 << (SLOT_BITS - CHUNK_BITS)) * 4));

let highWater: u32 = 0;
let freeHead: u32 = NONE;
let liveCount: u32 = 0;

// @ts-ignore: decorator
@inline export function rec(slot: u32): usize {
  return load<usize>(chunks + (<usize>(slot >>> CHUNK_BITS) << 2)) + <usize>(slot & CHUNK_MASK) * RECORD_SIZE;
}

export function liveRegistrations(): u32 {
  return liveCount;
}

/** Slot of a live registration with this exact id, or NONE. */
export function slotOf(id: i32): u32 {
  if (id < 0) return NONE;
  const slot = <u32>id & SLOT_MASK;
  if (slot >= highWater) return NONE;
  const r = rec(slot);
  if ((load<u8>(r + O_FLAGS) & F_LIVE) == 0) return NONE;
  if (<u32>load<u8>(r + O_GEN) != (<u32>id >>> SLOT_BITS)) return NONE;
  return slot;
}

export function idOf(slot: u32): i32 {
  return <i32>(slot | (<u32>load<u8>(rec(slot) + O_GEN) << SLOT_BITS));
}

/** A fresh zeroed live record in `domain`, or NONE at capacity or when memory is refused. */
export function allocate(domain: u32): u32 {
  if (<f64>liveCount >= policy(MAX_REGISTRATIONS)) return NONE;
  if (freeHead == NONE) {
    if (highWater > SLOT_MASK) return NONE;
    const at = chunks + (<usize>(highWater >>> CHUNK_BITS) << 2);
    if (load<usize>(at) == 0) {
      const chunk = alloc(<usize>(CHUNK_MASK + 1) * RECORD_SIZE);
      if (chunk == 0) return NONE;
      const positions = alloc(<usize>(CHUNK_MASK + 1) << 2);
      if (positions == 0) return NONE;
      store<usize>(at, chunk);
      store<usize>(positionChunks + (<usize>(highWater >>> CHUNK_BITS) << 2), positions);
    }
  }
  // Each registration holds at most one timer, so room for one more timer in its domain is
  // taken now and no later transition can run out of memory half-way. Last, so that a
  // refusal leaves nothing half-done.
  if (!reserveTimer(domain)) return NONE;
  let slot: u32;
  if (freeHead != NONE) {
    slot = freeHead;
    freeHead = load<u32>(rec(slot) + O_NEXT);
  } else {
    slot = highWater++;
  }
  const r = rec(slot);
  const gen = load<u8>(r + O_GEN);
  memory.fill(r, 0, RECORD_SIZE);
  store<u8>(r + O_GEN, gen);
  store<u8>(r + O_FLAGS, F_LIVE);
  setHeapPos(slot, NONE);
  store<u32>(r + O_NEXT, NONE);
  store<u32>(r + O_PREV, NONE);
  liveCount++;
  return slot;
}

/** Free `slot`, a registration of domain `d`. */
export function release(slot: u32, d: u32): void {
  releaseTimer(d);
  const r = rec(slot);
  store<u8>(r + O_FLAGS, 0);
  store<u8>(r + O_GEN, (load<u8>(r + O_GEN) + 1) & 0x7f);
  store<u32>(r + O_NEXT, freeHead);
  freeHead = slot;
  liveCount--;
}

// Field accessors. One place knows the layout.

// @ts-ignore: decorator
@inline export function stateOf(s: u32): u8 { return load<u8>(rec(s) + O_STATE); }
// @ts-ignore: decorator
@inline export function setState(s: u32, v: u8): void { store<u8>(rec(s) + O_STATE, v); }
// @ts-ignore: decorator
@inline export function flagsOf(s: u32): u8 { return load<u8>(rec(s) + O_FLAGS); }
// @ts-ignore: decorator
@inline export function hasFlag(s: u32, f: u8): bool { return (load<u8>(rec(s) + O_FLAGS) & f) != 0; }
// @ts-ignore: decorator
@inline export function setFlag(s: u32, f: u8, on: bool): void {
  const r = rec(s);
  const v = load<u8>(r + O_FLAGS);
  store<u8>(r + O_FLAGS, on ? v | f : v & ~f);
}
// @ts-ignore: decorator
@inline export function attemptsOf(s: u32): u32 { return load<u8>(rec(s) + O_ATTEMPTS); }
// @ts-ignore: decorator
@inline export function setAttempts(s: u32, v: u32): void { store<u8>(rec(s) + O_ATTEMPTS, <u8>v); }
/** Aborted attempts not counted as attempts since the attempts were last reset. */
// @ts-ignore: decorator
@inline export function abortsOf(s: u32): u32 { return load<u8>(rec(s) + O_ABORTS); }
// @ts-ignore: decorator
@inline export function setAborts(s: u32, v: u32): void { store<u8>(rec(s) + O_ABORTS, <u8>v); }
// @ts-ignore: decorator
@inline export function maxAttemptsOf(s: u32): u32 { return load<u8>(rec(s) + O_MAX_ATTEMPTS); }
// @ts-ignore: decorator
@inline export function setMaxAttempts(s: u32, v: u32): void { store<u8>(rec(s) + O_MAX_ATTEMPTS, <u8>v); }
// @ts-ignore: decorator
@inline export function kindOf(s: u32): u8 { return load<u8>(rec(s) + O_KIND); }
// @ts-ignore: decorator
@inline export function setKind(s: u32, v: u8): void { store<u8>(rec(s) + O_KIND, v); }
// @ts-ignore: decorator
@inline export function scopeOf(s: u32): u32 { return load<u32>(rec(s) + O_SCOPE); }
// @ts-ignore: decorator
@inline export function setScope(s: u32, v: u32): void { store<u32>(rec(s) + O_SCOPE, v); }
// @ts-ignore: decorator
@inline function position(s: u32): usize {
  return load<usize>(positionChunks + (<usize>(s >>> CHUNK_BITS) << 2)) + (<usize>(s & CHUNK_MASK) << 2);
}
// @ts-ignore: decorator
@inline export function heapPosOf(s: u32): u32 { return load<u32>(position(s)); }
// @ts-ignore: decorator
@inline export function setHeapPos(s: u32, v: u32): void { store<u32>(position(s), v); }
// @ts-ignore: decorator
@inline export function nextOf(s: u32): u32 { return load<u32>(rec(s) + O_NEXT); }
// @ts-ignore: decorator
@inline export function setNext(s: u32, v: u32): void { store<u32>(rec(s) + O_NEXT, v); }
// @ts-ignore: decorator
@inline export function prevOf(s: u32): u32 { return load<u32>(rec(s) + O_PREV); }
// @ts-ignore: decorator
@inline export function setPrev(s: u32, v: u32): void { store<u32>(rec(s) + O_PREV, v); }
/** One-shot: expiresAt (0 = never). Periodic: anchor. */
// @ts-ignore: decorator
@inline export function t0Of(s: u32): f64 { return load<f64>(rec(s) + O_T0); }
// @ts-ignore: decorator
@inline export function setT0(s: u32, v: f64): void { store<f64>(rec(s) + O_T0, v); }
// @ts-ignore: decorator
@inline export function intervalOf(s: u32): f64 { return load<f64>(rec(s) + O_INTERVAL); }
// @ts-ignore: decorator
@inline export function setInterval(s: u32, v: f64): void { store<f64>(rec(s) + O_INTERVAL, v); }
// @ts-ignore: decorator
@inline export function lastDelayOf(s: u32): f64 { return load<f64>(rec(s) + O_LAST_DELAY); }
// @ts-ignore: decorator
@inline export function setLastDelay(s: u32, v: f64): void { store<f64>(rec(s) + O_LAST_DELAY, v); }
