// Scopes: service worker registrations inside a domain. Each keeps a doubly linked list of
// its registrations whose head region holds the parked ones (due, but blocked by
// connectivity or constraints) oldest first, so an online edge visits only those: O(k).
// Scopes of one origin share their periodic timing (the minimum gap and the time of the last
// periodic event, which the spec and Chromium keep per origin): a scope that joined another
// reads and writes them in that one, its origin scope.

import {
  NONE, F_PARKED, hasFlag, nextOf, prevOf, setFlag, setNext, setPrev,
} from "./registrations";
import { lastScopeOf, setFirstScope, setLastScope, firstScopeOf } from "./domains";
import { policy, SCOPE_MIN_GAP } from "./policy";
import { grow } from "./arena";

export const S_ONLINE: u32 = 1;
export const S_ALIVE: u32 = 2;
export const S_FIRED_PERIODIC: u32 = 4;

const SIZE: usize = 56;
const O_DOMAIN: usize = 0;
const O_FLAGS: usize = 4;
const O_HEAD: usize = 8;
const O_TAIL: usize = 12;
const O_PARKED_TAIL: usize = 16;
const O_NEXT_IN_DOMAIN: usize = 20;
const O_OFFLINE_SINCE: usize = 24;
const O_MIN_GAP: usize = 32;
const O_LAST_PERIODIC: usize = 40;
/** The scope holding this one's periodic timing: itself, or the one it joined. */
const O_ORIGIN: usize = 48;
/** How many scopes joined this one. */
const O_JOINED: usize = 52;

let table: usize = 0;
let count: u32 = 0;
let capacity: u32 = 0;

// @ts-ignore: decorator
@inline function at(s: u32): usize { return table + <usize>s * SIZE; }

export function isScope(s: i32): bool {
  return s >= 0 && <u32>s < count && (load<u32>(at(<u32>s) + O_FLAGS) & S_ALIVE) != 0;
}

/** A new scope's id, or NONE when memory is refused. */
export function createScope(domain: u32): u32 {
  if (count == capacity) {
    const next: u32 = capacity == 0 ? 16 : capacity << 1;
    const bigger = grow(table, <usize>capacity * SIZE, <usize>next * SIZE);
    if (bigger == 0) return NONE;
    table = bigger;
    capacity = next;
  }
  const s = count++;
  const p = at(s);
  store<u32>(p + O_DOMAIN, domain);
  store<u32>(p + O_FLAGS, S_ONLINE | S_ALIVE);
  store<u32>(p + O_HEAD, NONE);
  store<u32>(p + O_TAIL, NONE);
  store<u32>(p + O_PARKED_TAIL, NONE);
  store<u32>(p + O_NEXT_IN_DOMAIN, NONE);
  store<f64>(p + O_OFFLINE_SINCE, -1);
  store<f64>(p + O_MIN_GAP, policy(SCOPE_MIN_GAP));
  store<f64>(p + O_LAST_PERIODIC, 0);
  store<u32>(p + O_ORIGIN, s);
  store<u32>(p + O_JOINED, 0);
  const last = lastScopeOf(domain);
  if (last == NONE) setFirstScope(domain, s);
  else store<u32>(at(last) + O_NEXT_IN_DOMAIN, s);
  setLastScope(domain, s);
  return s;
}

export function firstScopeIn(domain: u32): u32 { return firstScopeOf(domain); }
// @ts-ignore: decorator
@inline export function nextScopeInDomain(s: u32): u32 { return load<u32>(at(s) + O_NEXT_IN_DOMAIN); }
// @ts-ignore: decorator
@inline export function domainOfScope(s: u32): u32 { return load<u32>(at(s) + O_DOMAIN); }
// @ts-ignore: decorator
@inline export function scopeFlags(s: u32): u32 { return load<u32>(at(s) + O_FLAGS); }
// @ts-ignore: decorator
@inline export function setScopeFlag(s: u32, f: u32, on: bool): void {
  const v = load<u32>(at(s) + O_FLAGS);
  store<u32>(at(s) + O_FLAGS, on ? v | f : v & ~f);
}
// @ts-ignore: decorator
@inline export function offlineSinceOf(s: u32): f64 { return load<f64>(at(s) + O_OFFLINE_SINCE); }
// @ts-ignore: decorator
@inline export function setOfflineSince(s: u32, v: f64): void { store<f64>(at(s) + O_OFFLINE_SINCE, v); }
// @ts-ignore: decorator
@inline export function originOf(s: u32): u32 { return load<u32>(at(s) + O_ORIGIN); }
/** Whether a scope joined `s` (it then heads an origin and may not join another). */
export function isJoined(s: u32): bool { return load<u32>(at(s) + O_JOINED) != 0; }
/** `s` (joined by none, joining none yet) shares the periodic timing of `other`'s origin from now on. */
export function joinOrigin(s: u32, other: u32): void {
  const origin = originOf(other);
  store<u32>(at(s) + O_ORIGIN, origin);
  store<u32>(at(origin) + O_JOINED, load<u32>(at(origin) + O_JOINED) + 1);
}
// The periodic timing, read and written in the origin scope.
// @ts-ignore: decorator
@inline export function minGapOf(s: u32): f64 { return load<f64>(at(originOf(s)) + O_MIN_GAP); }
// @ts-ignore: decorator
@inline export function setMinGap(s: u32, v: f64): void { store<f64>(at(originOf(s)) + O_MIN_GAP, v); }
// @ts-ignore: decorator
@inline export function lastPeriodicFireOf(s: u32): f64 { return load<f64>(at(originOf(s)) + O_LAST_PERIODIC); }
/** A successful periodic event in `s`'s origin now. */
export function setLastPeriodicFire(s: u32, v: f64): void {
  const origin = originOf(s);
  store<f64>(at(origin) + O_LAST_PERIODIC, v);
  setScopeFlag(origin, S_FIRED_PERIODIC, true);
}
/** Whether `s`'s origin has had a successful periodic event. */
// @ts-ignore: decorator
@inline export function firedPeriodic(s: u32): bool { return (scopeFlags(originOf(s)) & S_FIRED_PERIODIC) != 0; }
// @ts-ignore: decorator
@inline export function firstMember(s: u32): u32 { return load<u32>(at(s) + O_HEAD); }

/** Append at the tail, outside the parked region. */
export function appendMember(s: u32, slot: u32): void {
  const p = at(s);
  const tail = load<u32>(p + O_TAIL);
  setPrev(slot, tail);
  setNext(slot, NONE);
  if (tail == NONE) store<u32>(p + O_HEAD, slot);
  else setNext(tail, slot);
  store<u32>(p + O_TAIL, slot);
}

export function unlinkMember(s: u32, slot: u32): void {
  const p = at(s);
  const prev = prevOf(slot);
  const next = nextOf(slot);
  if (prev == NONE) store<u32>(p + O_HEAD, next);
  else setNext(prev, next);
  if (next == NONE) store<u32>(p + O_TAIL, prev);
  else setPrev(next, prev);
  if (load<u32>(p + O_PARKED_TAIL) == slot) store<u32>(p + O_PARKED_TAIL, prev);
  setFlag(slot, F_PARKED, false);
}

/** Move to the end of the parked region (the newest parked). */
export function park(s: u32, slot: u32): void {
  unlinkMember(s, slot);
  const p = at(s);
  const after = load<u32>(p + O_PARKED_TAIL);
  const next = after == NONE ? load<u32>(p + O_HEAD) : nextOf(after);
  setPrev(slot, after);
  setNext(slot, next);
  if (after == NONE) store<u32>(p + O_HEAD, slot);
  else setNext(after, slot);
  if (next == NONE) store<u32>(p + O_TAIL, slot);
  else setPrev(next, slot);
  store<u32>(p + O_PARKED_TAIL, slot);
  setFlag(slot, F_PARKED, true);
}

/** Leave the parked region for the tail. */
export function unpark(s: u32, slot: u32): void {
  unlinkMember(s, slot);
  appendMember(s, slot);
}

/** Forget the list (the registrations are released by the caller) and kill the scope. */
export function killScope(s: u32): void {
  const p = at(s);
  store<u32>(p + O_HEAD, NONE);
  store<u32>(p + O_TAIL, NONE);
  store<u32>(p + O_PARKED_TAIL, NONE);
  setScopeFlag(s, S_ALIVE, false);
}

export function isParked(slot: u32): bool {
  return hasFlag(slot, F_PARKED);
}
