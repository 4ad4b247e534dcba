// Domains: a device or a network context. Conditions gate firing; the retry budget is a
// token bucket per domain so one device's failures cannot spend another's retries; the pace
// (pace.ts) spaces the domain's fires at what the backend says it can take. Each
// domain holds the header of its own timer heap (timer-heap.ts), so a host serving many
// domains from one core learns each one's next deadline without a scan.

import { NONE } from "./registrations";
import { policy, BUDGET_CAPACITY } from "./policy";
import { grow } from "./arena";
import { HEAP_HEADER, reserveDomainTimer, shareTimers } from "./timer-heap";

export const D_ONLINE: u32 = 1;
export const D_METERED: u32 = 2;
export const D_ON_BATTERY: u32 = 4;

const SIZE: usize = 88;
const O_FLAGS: usize = 0;
const O_FIRST_SCOPE: usize = 4;
const O_LAST_SCOPE: usize = 8;
const O_TOKENS: usize = 16;
const O_REFILLED_AT: usize = 24;
/** The domain's timer heap header (HEAP_HEADER = 16 bytes, timer-heap.ts). */
const O_HEAP: usize = 32;
/** Where the domain's entry is in the heap of domains (NONE: not entered yet; timer-heap.ts). */
const O_DOMAIN_POS: usize = 56;
/** Least ms between two fires of the domain (0: no pace). */
const O_PACE_INTERVAL: usize = 64;
/** The earliest time the domain's next unreserved fire may happen (GCRA's theoretical arrival time). */
const O_PACE_NEXT: usize = 72;
/** Where the pace's grid lies: its points are phase + k × interval (-1: no grid). */
const O_PACE_PHASE: usize = 80;

let table: usize = 0;
let count: u32 = 0;
let capacity: u32 = 0;

// @ts-ignore: decorator
@inline function at(d: u32): usize { return table + <usize>d * SIZE; }

export function domainCount(): u32 { return count; }

export function isDomain(d: i32): bool { return d >= 0 && <u32>d < count; }

/** A new domain's id, or NONE when memory is refused. */
export function createDomain(): u32 {
  if (!reserveDomainTimer(count + 1)) return NONE;
  if (count == capacity) {
    const next: u32 = capacity == 0 ? 16 : capacity << 1;
    const bigger = grow(table, <usize>capacity * SIZE, <usize>next * SIZE);
    if (bigger == 0) return NONE;
    table = bigger;
    capacity = next;
  }
  const d = count++;
  const p = at(d);
  store<u32>(p + O_FLAGS, 0);
  store<u32>(p + O_FIRST_SCOPE, NONE);
  store<u32>(p + O_LAST_SCOPE, NONE);
  store<f64>(p + O_TOKENS, policy(BUDGET_CAPACITY));
  store<f64>(p + O_REFILLED_AT, 0);
  memory.fill(p + O_HEAP, 0, HEAP_HEADER);
  store<u32>(p + O_DOMAIN_POS, NONE);
  store<f64>(p + O_PACE_INTERVAL, 0);
  store<f64>(p + O_PACE_NEXT, 0);
  store<f64>(p + O_PACE_PHASE, -1);
  if (d == 1) shareTimers();
  return d;
}

// @ts-ignore: decorator
@inline export function conditionsOf(d: u32): u32 { return load<u32>(at(d) + O_FLAGS); }
// @ts-ignore: decorator
@inline export function setConditions(d: u32, v: u32): void { store<u32>(at(d) + O_FLAGS, v); }
// @ts-ignore: decorator
@inline export function firstScopeOf(d: u32): u32 { return load<u32>(at(d) + O_FIRST_SCOPE); }
// @ts-ignore: decorator
@inline export function lastScopeOf(d: u32): u32 { return load<u32>(at(d) + O_LAST_SCOPE); }
// @ts-ignore: decorator
@inline export function setFirstScope(d: u32, s: u32): void { store<u32>(at(d) + O_FIRST_SCOPE, s); }
// @ts-ignore: decorator
@inline export function setLastScope(d: u32, s: u32): void { store<u32>(at(d) + O_LAST_SCOPE, s); }
// @ts-ignore: decorator
@inline export function tokensOf(d: u32): f64 { return load<f64>(at(d) + O_TOKENS); }
// @ts-ignore: decorator
@inline export function setTokens(d: u32, v: f64): void { store<f64>(at(d) + O_TOKENS, v); }
// @ts-ignore: decorator
@inline export function refilledAtOf(d: u32): f64 { return load<f64>(at(d) + O_REFILLED_AT); }
// @ts-ignore: decorator
@inline export function setRefilledAt(d: u32, v: f64): void { store<f64>(at(d) + O_REFILLED_AT, v); }
// @ts-ignore: decorator
@inline export function heapOf(d: u32): usize { return at(d) + O_HEAP; }
// @ts-ignore: decorator
@inline export function domainPosOf(d: u32): u32 { return load<u32>(at(d) + O_DOMAIN_POS); }
// @ts-ignore: decorator
@inline export function setDomainPos(d: u32, v: u32): void { store<u32>(at(d) + O_DOMAIN_POS, v); }
// @ts-ignore: decorator
@inline export function paceIntervalOf(d: u32): f64 { return load<f64>(at(d) + O_PACE_INTERVAL); }
// @ts-ignore: decorator
@inline export function setPaceInterval(d: u32, v: f64): void { store<f64>(at(d) + O_PACE_INTERVAL, v); }
// @ts-ignore: decorator
@inline export function paceNextOf(d: u32): f64 { return load<f64>(at(d) + O_PACE_NEXT); }
// @ts-ignore: decorator
@inline export function setPaceNext(d: u32, v: f64): void { store<f64>(at(d) + O_PACE_NEXT, v); }
// @ts-ignore: decorator
@inline export function pacePhaseOf(d: u32): f64 { return load<f64>(at(d) + O_PACE_PHASE); }
// @ts-ignore: decorator
@inline export function setPacePhase(d: u32, v: f64): void { store<f64>(at(d) + O_PACE_PHASE, v); }
