// The core's exported surface. Every input is validated here before anything changes, so a
// bad call returns an error code and leaves the scheduler exactly as it was. Names in
// camelCase; the component build renames them to the WIT's kebab-case (scheduler.wit).

import { OK, UNKNOWN_ID, UNKNOWN_SCOPE, UNKNOWN_DOMAIN, BAD_ARGUMENT, WRONG_STATE, CAPACITY } from "./errors";
import { alloc, freeLast, grow, bytesInUse } from "./arena";
import { checkTime, advanceTo } from "./clock";
import { seedRandom } from "./rng";
import { MAX_TIME } from "./policy";
import {
  NONE, STATE_PENDING, STATE_WAITING, STATE_FIRING, STATE_REREGISTERED_WHILE_FIRING, KIND_PERIODIC,
  F_RESOLVED, slotOf, stateOf as stateOfSlot, attemptsOf as attemptsOfSlot, maxAttemptsOf as maxAttemptsOfSlot,
  kindOf as kindOfSlot, flagsOf, t0Of, intervalOf as intervalOfSlot, heapPosOf, liveRegistrations,
} from "./registrations";
import { earliest, earliestIn, scheduledAt } from "./timer-heap";
import { createDomain as newDomain, isDomain } from "./domains";
import { createScope as newScope, isScope, setMinGap, joinOrigin as join, isJoined, originOf, domainOfScope } from "./scopes";
import * as machine from "./scheduler";
import { poll as pollOutput, pendingOutputs as outputsPending, polledDomain as domainPolled } from "./outputs";

export { setPolicy, getPolicy, usePreset } from "./policy";

function validInterval(v: f64): bool {
  return isFinite(v) && v >= 0 && v <= MAX_TIME;
}

/** Re-seed the random source (jitter, reconnect spread). */
export function seed(lo: u32, hi: u32): void {
  seedRandom(lo, hi);
}

export function createDomain(): i32 {
  const d = newDomain();
  return d == NONE ? CAPACITY : <i32>d;
}

export function createScope(domain: i32): i32 {
  if (!isDomain(domain)) return UNKNOWN_DOMAIN;
  const s = newScope(<u32>domain);
  return s == NONE ? CAPACITY : <i32>s;
}

/** flags: bit 0 online, bit 1 metered, bit 2 on battery. */
export function setDomainConditions(domain: i32, flags: i32, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  if (!isDomain(domain)) return UNKNOWN_DOMAIN;
  if (flags < 0 || flags > 7) return BAD_ARGUMENT;
  advanceTo(now);
  machine.setDomainConditions(<u32>domain, <u32>flags, now);
  return OK;
}

/**
 * At most one fire per `interval` ms in the domain (0: no pace), on the grid phase + k ×
 * interval when `phase` is in [0, interval), anywhere when it is -1; see pace.ts.
 */
export function setDomainPace(domain: i32, interval: f64, phase: f64, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  if (!isDomain(domain)) return UNKNOWN_DOMAIN;
  if (!validInterval(interval) || !(phase == -1 || (phase >= 0 && phase < interval))) return BAD_ARGUMENT;
  advanceTo(now);
  machine.setDomainPace(<u32>domain, interval, phase, now);
  return OK;
}

export function setScopeOnline(scope: i32, online: bool, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  if (!isScope(scope)) return UNKNOWN_SCOPE;
  advanceTo(now);
  machine.setScopeOnline(<u32>scope, online, now);
  return OK;
}

/** Minimum gap between successful periodic events of one scope. */
export function setScopeMinGap(scope: i32, ms: f64): i32 {
  if (!isScope(scope)) return UNKNOWN_SCOPE;
  if (!validInterval(ms)) return BAD_ARGUMENT;
  setMinGap(<u32>scope, ms);
  return OK;
}

/**
 * `scope` shares the periodic timing (minimum gap, last periodic event) of `other`'s origin
 * from now on: the two are service worker registrations of one origin. `scope` may not have
 * joined one already nor been joined; both are live scopes of one domain.
 */
export function joinOrigin(scope: i32, other: i32): i32 {
  if (!isScope(scope) || !isScope(other)) return UNKNOWN_SCOPE;
  const s = <u32>scope;
  const o = <u32>other;
  if (s == o || originOf(s) != s || isJoined(s) || domainOfScope(s) != domainOfScope(o)) return BAD_ARGUMENT;
  join(s, o);
  return OK;
}

/** Frees every registration of the scope; returns how many. */
export function removeScope(scope: i32, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  if (!isScope(scope)) return UNKNOWN_SCOPE;
  advanceTo(now);
  return <i32>machine.removeScope(<u32>scope);
}

/** kind 0 one-shot, 1 periodic; flags bit 0 unmetered only, bit 1 not on battery. */
export function register(scope: i32, kind: i32, flags: i32, minInterval: f64, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  if (!isScope(scope)) return UNKNOWN_SCOPE;
  if (kind < 0 || kind > 1 || flags < 0 || flags > 3 || !validInterval(minInterval)) return BAD_ARGUMENT;
  // The clock moves only if the call is accepted (CAPACITY changes nothing).
  const id = machine.register(<u32>scope, <u8>kind, <u8>(flags << 1), minInterval, now);
  if (id >= 0) advanceTo(now);
  return id;
}

export function restore(
  scope: i32, kind: i32, flags: i32, attempts: i32, maxAttempts: i32, delayUntil: f64, t0: f64, minInterval: f64, now: f64,
): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  if (!isScope(scope)) return UNKNOWN_SCOPE;
  if (kind < 0 || kind > 1 || flags < 0 || flags > 3) return BAD_ARGUMENT;
  if (maxAttempts < 1 || maxAttempts > 255 || attempts < 0 || attempts >= maxAttempts) return BAD_ARGUMENT;
  if (!validInterval(delayUntil) || !validInterval(t0) || !validInterval(minInterval)) return BAD_ARGUMENT;
  const id = machine.restore(<u32>scope, <u8>kind, <u8>(flags << 1), <u32>attempts, <u32>maxAttempts, delayUntil, t0, minInterval, now);
  if (id >= 0) advanceTo(now);
  return id;
}

/** The host's register() promise resolved: from now on the registration may fire. */
export function resolved(id: i32, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  const slot = slotOf(id);
  if (slot == NONE) return UNKNOWN_ID;
  advanceTo(now);
  return machine.resolved(slot, now);
}

/** The same tag registered again; minInterval matters for periodic only. */
export function reregister(id: i32, minInterval: f64, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  const slot = slotOf(id);
  if (slot == NONE) return UNKNOWN_ID;
  if (!validInterval(minInterval)) return BAD_ARGUMENT;
  advanceTo(now);
  return machine.reregister(slot, minInterval, now);
}

/** outcome 0 success, 1 failure, 2 timeout, 3 aborted, 4 undelivered; retryAfter 0 = no hint. */
export function complete(id: i32, outcome: i32, retryAfter: f64, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  const slot = slotOf(id);
  if (slot == NONE) return UNKNOWN_ID;
  if (outcome < 0 || outcome > 4 || !validInterval(retryAfter)) return BAD_ARGUMENT;
  const state = stateOfSlot(slot);
  if (state != STATE_FIRING && state != STATE_REREGISTERED_WHILE_FIRING) return WRONG_STATE;
  advanceTo(now);
  return machine.complete(slot, outcome, retryAfter, now);
}

export function unregister(id: i32, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  const slot = slotOf(id);
  if (slot == NONE) return UNKNOWN_ID;
  advanceTo(now);
  machine.unregister(slot);
  return OK;
}

/** Periodic only: suspend (e.g. permission revoked, no engagement) or resume. */
export function setSuspended(id: i32, suspended: bool, now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  const slot = slotOf(id);
  if (slot == NONE) return UNKNOWN_ID;
  if (kindOfSlot(slot) != KIND_PERIODIC) return BAD_ARGUMENT;
  // WRONG_STATE (while firing) changes nothing, the clock included.
  const state = machine.setSuspended(slot, suspended, now);
  if (state >= 0) advanceTo(now);
  return state;
}

/** Process every timer due at or before `now`. */
export function handleTimeout(now: f64): i32 {
  const e = checkTime(now);
  if (e != OK) return e;
  advanceTo(now);
  machine.handleTimeout(now);
  return OK;
}

/** The earliest time anything can change; +Infinity when idle. */
export function nextWakeup(): f64 {
  return earliest();
}

/** The earliest time any registration of `domain` needs attention; +Infinity when none. */
export function domainWakeup(domain: i32): f64 {
  return isDomain(domain) ? earliestIn(<u32>domain) : <f64>UNKNOWN_DOMAIN;
}

/** 0 when no decision is waiting, else id * 16 + code (see outputs.ts). */
export function poll(): f64 {
  return pollOutput();
}

/** The domain of the registration the decision `poll` returned last was about. */
export function polledDomain(): i32 {
  return <i32>domainPolled();
}

export function pendingOutputs(): i32 {
  return <i32>outputsPending();
}

export function liveCount(): i32 {
  return <i32>liveRegistrations();
}

// Queries for persistence and getTags(); errors come back as negative numbers.

export function stateOf(id: i32): i32 {
  const slot = slotOf(id);
  return slot == NONE ? UNKNOWN_ID : <i32>stateOfSlot(slot);
}

export function kindOf(id: i32): i32 {
  const slot = slotOf(id);
  return slot == NONE ? UNKNOWN_ID : <i32>kindOfSlot(slot);
}

export function attemptsOf(id: i32): i32 {
  const slot = slotOf(id);
  return slot == NONE ? UNKNOWN_ID : <i32>attemptsOfSlot(slot);
}

export function maxAttemptsOf(id: i32): i32 {
  const slot = slotOf(id);
  return slot == NONE ? UNKNOWN_ID : <i32>maxAttemptsOfSlot(slot);
}

/** bit 0 unmetered only, bit 1 not on battery, bit 2 resolved. */
export function flagsOfRegistration(id: i32): i32 {
  const slot = slotOf(id);
  if (slot == NONE) return UNKNOWN_ID;
  const f = flagsOf(slot);
  return <i32>(((f >> 1) & 3) | ((f & F_RESOLVED) != 0 ? 4 : 0));
}

/** End of the back-off (waiting, or a periodic retry); 0 when not delayed. */
export function delayUntilOf(id: i32): f64 {
  const slot = slotOf(id);
  if (slot == NONE) return <f64>UNKNOWN_ID;
  const state = stateOfSlot(slot);
  const retrying = state == STATE_WAITING
    || (state == STATE_PENDING && kindOfSlot(slot) == KIND_PERIODIC && attemptsOfSlot(slot) > 0);
  return retrying && heapPosOf(slot) != NONE ? scheduledAt(slot) : 0;
}

/** One-shot: expiry time (0 = never). Periodic: anchor time. */
export function anchorOrExpiryOf(id: i32): f64 {
  const slot = slotOf(id);
  return slot == NONE ? <f64>UNKNOWN_ID : t0Of(slot);
}

export function minIntervalOf(id: i32): f64 {
  const slot = slotOf(id);
  return slot == NONE ? <f64>UNKNOWN_ID : intervalOfSlot(slot);
}

// Canonical ABI support for the WebAssembly Component (the raw host never calls these).

export function cabi_realloc(old: usize, oldSize: usize, align: usize, size: usize): usize {
  return grow(old, oldSize, size);
}

const RETURN_AREA: usize = memory.data(8, 4);

const OUTPUT_RECORD: usize = 16;

/**
 * All waiting decisions as list<output>: records of
 * {kind: u8 @0, id: s32 @4, arg: u32 @8, domain: s32 @12}.
 */
export function drain(): usize {
  const n = outputsPending();
  const buf = alloc(max<usize>(<usize>n * OUTPUT_RECORD, OUTPUT_RECORD));
  if (buf == 0) unreachable();
  for (let i: u32 = 0; i < n; i++) {
    const packed = pollOutput();
    // Exact on these integers, and unlike f64 `%` it pulls in no fmod (a third of a KB).
    const id = Math.floor(packed / 16);
    const code = <u32>(packed - id * 16);
    const at = buf + <usize>i * OUTPUT_RECORD;
    store<u8>(at, <u8>((code & 3) - 1));
    store<i32>(at, <i32>id, 4);
    store<u32>(at, code >> 2, 8);
    store<u32>(at, domainPolled(), 12);
  }
  store<u32>(RETURN_AREA, <u32>buf);
  store<u32>(RETURN_AREA, n, 4);
  return RETURN_AREA;
}

export function drainPost(ret: usize): void {
  freeLast(load<u32>(ret), max<usize>(<usize>load<u32>(ret, 4) * OUTPUT_RECORD, OUTPUT_RECORD));
}

/** Bytes of linear memory the core has handed out (tables, chunks, queues). */
export function memoryInUse(): f64 {
  return <f64>bytesInUse();
}
