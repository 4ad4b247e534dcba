// The transitions of the spec's registration state machine, with Chromium's attempt
// accounting and the policy's timing. Callers (index.ts) have validated every argument, so
// nothing here can fail: each function either changes state or emits a decision.

import {
  NONE, STATE_PENDING, STATE_WAITING, STATE_FIRING, STATE_REREGISTERED_WHILE_FIRING, STATE_SUSPENDED,
  STATE_REMOVED, KIND_ONE_SHOT, KIND_PERIODIC, F_RESOLVED, F_PARKED,
  F_LAST_CHANCE, F_TIMEOUT_COST, F_PACED, allocate, release, idOf, stateOf, setState, hasFlag, setFlag,
  attemptsOf, setAttempts, abortsOf, setAborts, maxAttemptsOf, setMaxAttempts, kindOf, setKind, scopeOf, setScope, heapPosOf,
  t0Of, setT0, intervalOf, setInterval, lastDelayOf, setLastDelay, nextOf,
} from "./registrations";
import { schedule, unschedule, earliest, earliestSlot, earliestDomain, anyTimer, domainOfSlot } from "./timer-heap";
import {
  S_ONLINE, S_ALIVE, domainOfScope, scopeFlags, setScopeFlag, offlineSinceOf, setOfflineSince,
  setLastPeriodicFire, firstMember, appendMember, unlinkMember, park, unpark,
  killScope, nextScopeInDomain, firstScopeIn,
} from "./scopes";
import { D_ONLINE, D_METERED, D_ON_BATTERY, conditionsOf, setConditions } from "./domains";
import {
  policy, policyInt, MAX_ATTEMPTS, MAX_ABORTED_ATTEMPTS, PERIODIC_MAX_ATTEMPTS, EVENT_TIMEOUT, LAST_CHANCE_EVENT_TIMEOUT,
  REREGISTER_BYPASSES_BACKOFF, MAX_RETENTION, RECONNECT_SPREAD_RATIO, RECONNECT_SPREAD_MAX, BUDGET_SUCCESS_REFUND,
} from "./policy";
import { backoff, retryAfterWait } from "./backoff";
import { CAPACITY, WRONG_STATE } from "./errors";
import { budgetEnabled, retryCost, waitFor, spend, refund } from "./budget";
import { eligible } from "./eligibility";
import { periodicDue } from "./periodic";
import { draw } from "./rng";
import { paced, reserve, rephaseAfterOutage, changePace, samePace } from "./pace";
import { emit, OUT_FIRE, OUT_TIMED_OUT, OUT_DROPPED, DROP_ATTEMPTS_EXHAUSTED, DROP_EXPIRED } from "./outputs";

export const OUTCOME_SUCCESS: i32 = 0;
export const OUTCOME_FAILURE: i32 = 1;
export const OUTCOME_TIMEOUT: i32 = 2;
export const OUTCOME_ABORTED: i32 = 3;
export const OUTCOME_UNDELIVERED: i32 = 4;

/** The domain of `slot` off the hot path: one copy of the lookup instead of one per caller. */
function domainOf(slot: u32): u32 {
  return domainOfSlot(slot);
}

/** Output a decision about `slot` of domain `d`, naming it now: a dropped slot is freed next. */
function decide(slot: u32, d: u32, kind: u32, arg: u32): void {
  emit(idOf(slot), d, kind, arg);
}

function fire(slot: u32, now: f64): void {
  // The domain is looked up once here and handed on: the timers and the decision need it too.
  const d = domainOfSlot(slot);
  const attempts = attemptsOf(slot);
  if (attempts > 0 && budgetEnabled()) spend(d, retryCost(slot), now);
  setState(slot, STATE_FIRING);
  const expiresAt = t0Of(slot);
  const lastChance = kindOf(slot) == KIND_ONE_SHOT
    && (attempts + 1 >= maxAttemptsOf(slot) || (expiresAt > 0 && now >= expiresAt));
  setFlag(slot, F_LAST_CHANCE, lastChance);
  schedule(slot, d, now + policy(lastChance ? LAST_CHANCE_EVENT_TIMEOUT : EVENT_TIMEOUT));
  decide(slot, d, OUT_FIRE, lastChance ? 1 : 0);
}

/** A pending registration out of the heap and the parked region: decide where it goes. */
function consider(slot: u32, now: f64): void {
  if (!hasFlag(slot, F_RESOLVED)) return;
  // A reservation of the pace is used up by this look, whatever it decides.
  const reserved = hasFlag(slot, F_PACED);
  if (reserved) setFlag(slot, F_PACED, false);
  if (kindOf(slot) == KIND_PERIODIC && attemptsOf(slot) == 0) {
    const due = periodicDue(slot);
    if (due > now) { schedule(slot, domainOf(slot), due); return; }
  }
  if (!eligible(slot)) { park(scopeOf(slot), slot); return; }
  if (attemptsOf(slot) > 0 && budgetEnabled()) {
    const d = domainOf(slot);
    const wait = waitFor(d, retryCost(slot), now);
    // A wait too small to move the clock is a rounding shortfall of the refill: waiting
    // would pop and re-push the entry at `now` forever.
    if (now + wait > now) { schedule(slot, d, now + wait); return; }
  }
  if (!reserved) {
    const d = domainOf(slot);
    if (paced(d)) {
      const at = reserve(d, now);
      if (at > now) { setFlag(slot, F_PACED, true); schedule(slot, d, at); return; }
    }
  }
  fire(slot, now);
}

/** Out of the heap without a look: a reservation it held is given up. */
function unscheduleLook(slot: u32): void {
  unschedule(slot, domainOf(slot));
  setFlag(slot, F_PACED, false);
}

/** Gone for good: `d` is its domain. */
function remove(slot: u32, d: u32): void {
  unschedule(slot, d);
  unlinkMember(scopeOf(slot), slot);
  release(slot, d);
}

/** Fresh start of a period, or of a one-shot retry series after re-registration. */
function resetAttempts(slot: u32): void {
  setAttempts(slot, 0);
  setAborts(slot, 0);
  setLastDelay(slot, 0);
}

export function register(sc: u32, kind: u8, flags: u8, minInterval: f64, now: f64): i32 {
  const slot = allocate(domainOfScope(sc));
  if (slot == NONE) return CAPACITY;
  setKind(slot, kind);
  setScope(slot, sc);
  setFlag(slot, flags, true);
  setState(slot, STATE_PENDING);
  if (kind == KIND_PERIODIC) {
    setMaxAttempts(slot, policyInt(PERIODIC_MAX_ATTEMPTS));
    setT0(slot, now);
    setInterval(slot, minInterval);
  } else {
    setMaxAttempts(slot, policyInt(MAX_ATTEMPTS));
    const retention = policy(MAX_RETENTION);
    setT0(slot, retention > 0 ? now + retention : 0);
  }
  appendMember(sc, slot);
  return idOf(slot);
}

export function restore(
  sc: u32, kind: u8, flags: u8, attempts: u32, maxAttempts: u32, delayUntil: f64, t0: f64, minInterval: f64, now: f64,
): i32 {
  const d = domainOfScope(sc);
  const slot = allocate(d);
  if (slot == NONE) return CAPACITY;
  setKind(slot, kind);
  setScope(slot, sc);
  setFlag(slot, flags | F_RESOLVED, true);
  setAttempts(slot, attempts);
  setMaxAttempts(slot, maxAttempts);
  setT0(slot, t0);
  setInterval(slot, minInterval);
  appendMember(sc, slot);
  if (attempts > 0 && delayUntil > now) {
    setState(slot, kind == KIND_ONE_SHOT ? STATE_WAITING : STATE_PENDING);
    schedule(slot, d, delayUntil);
  } else {
    setState(slot, STATE_PENDING);
    consider(slot, now);
  }
  return idOf(slot);
}

export function resolved(slot: u32, now: f64): i32 {
  if (!hasFlag(slot, F_RESOLVED)) {
    setFlag(slot, F_RESOLVED, true);
    if (stateOf(slot) == STATE_PENDING && heapPosOf(slot) == NONE && !hasFlag(slot, F_PARKED)) consider(slot, now);
  }
  return stateOf(slot);
}

export function reregister(slot: u32, minInterval: f64, now: f64): i32 {
  const state = stateOf(slot);
  if (kindOf(slot) == KIND_ONE_SHOT) {
    const retention = policy(MAX_RETENTION);
    setT0(slot, retention > 0 ? now + retention : 0);
    if (state == STATE_FIRING) setState(slot, STATE_REREGISTERED_WHILE_FIRING);
    else if (state == STATE_WAITING && policyInt(REREGISTER_BYPASSES_BACKOFF) == 1) {
      unschedule(slot, domainOf(slot));
      setState(slot, STATE_PENDING);
      consider(slot, now);
    }
  } else if (minInterval != intervalOf(slot)) {
    setInterval(slot, minInterval);
    // Chromium replaces a periodic registration whose options changed: a new period starts
    // now with no attempts counted. A firing one only takes the interval (its completion
    // starts the next period anyway).
    if (state == STATE_PENDING || state == STATE_SUSPENDED) {
      resetAttempts(slot);
      setT0(slot, now);
    }
    if (state == STATE_PENDING) {
      unscheduleLook(slot);
      if (hasFlag(slot, F_PARKED)) unpark(scopeOf(slot), slot);
      consider(slot, now);
    }
  } else if (state == STATE_FIRING) {
    setState(slot, STATE_REREGISTERED_WHILE_FIRING);
  }
  return stateOf(slot);
}

export function complete(slot: u32, outcome: i32, retryAfter: f64, now: f64): i32 {
  const state = stateOf(slot);
  const domain = domainOfSlot(slot);
  unschedule(slot, domain);
  const periodic = kindOf(slot) == KIND_PERIODIC;
  if (state == STATE_REREGISTERED_WHILE_FIRING) {
    resetAttempts(slot);
    if (periodic) setT0(slot, now);
    setState(slot, STATE_PENDING);
    consider(slot, now);
    return stateOf(slot);
  }
  const attempts = attemptsOf(slot);
  if (outcome == OUTCOME_SUCCESS) {
    if (budgetEnabled()) refund(domain, attempts > 0 ? retryCost(slot) : policy(BUDGET_SUCCESS_REFUND), now);
    if (!periodic) { remove(slot, domain); return STATE_REMOVED; }
    resetAttempts(slot);
    setT0(slot, now);
    const sc = scopeOf(slot);
    setLastPeriodicFire(sc, now);
    setState(slot, STATE_PENDING);
    consider(slot, now);
    return stateOf(slot);
  }
  // An aborted attempt (the link dropped during the event) is free, up to the policy's cap;
  // beyond it, and always on the last chance (which never runs twice), it counts as a failure,
  // so a link that drops during every event cannot retry forever.
  const aborts = abortsOf(slot);
  const lastChance = !periodic && hasFlag(slot, F_LAST_CHANCE);
  // Undelivered (no worker took the event, as Chromium finds no active version): nothing
  // happened, so nothing is counted, not even a free aborted attempt.
  const free = outcome == OUTCOME_UNDELIVERED
    || (outcome == OUTCOME_ABORTED && !lastChance && aborts < <u32>policyInt(MAX_ABORTED_ATTEMPTS));
  if (free) {
    if (outcome == OUTCOME_ABORTED) setAborts(slot, aborts + 1);
    if (attempts > 0 && budgetEnabled()) refund(domain, retryCost(slot), now);
    setState(slot, STATE_PENDING);
    consider(slot, now);
    return stateOf(slot);
  }
  const failures = min<u32>(attempts + 1, 255);
  setAttempts(slot, failures);
  setFlag(slot, F_TIMEOUT_COST, outcome == OUTCOME_TIMEOUT);
  if (lastChance) {
    const reason = failures >= maxAttemptsOf(slot) ? DROP_ATTEMPTS_EXHAUSTED : DROP_EXPIRED;
    decide(slot, domain, OUT_DROPPED, reason);
    remove(slot, domain);
    return STATE_REMOVED;
  }
  if (periodic && failures >= maxAttemptsOf(slot)) {
    resetAttempts(slot);
    setT0(slot, now);
    setState(slot, STATE_PENDING);
    consider(slot, now);
    return stateOf(slot);
  }
  const delay = backoff(failures, lastDelayOf(slot));
  setLastDelay(slot, delay);
  setState(slot, periodic ? STATE_PENDING : STATE_WAITING);
  schedule(slot, domain, now + max<f64>(delay, retryAfterWait(retryAfter)));
  return stateOf(slot);
}

export function unregister(slot: u32): void {
  remove(slot, domainOf(slot));
}

export function setSuspended(slot: u32, suspended: bool, now: f64): i32 {
  const state = stateOf(slot);
  if (state == STATE_FIRING || state == STATE_REREGISTERED_WHILE_FIRING) return WRONG_STATE;
  if (suspended && state == STATE_PENDING) {
    unscheduleLook(slot);
    if (hasFlag(slot, F_PARKED)) unpark(scopeOf(slot), slot);
    setState(slot, STATE_SUSPENDED);
  } else if (!suspended && state == STATE_SUSPENDED) {
    setState(slot, STATE_PENDING);
    consider(slot, now);
  }
  return stateOf(slot);
}

/**
 * Release the parked registrations a scope can now fire, each at its own point of the spread
 * after an outage: one offset for the whole scope sent a device's whole backlog in one burst.
 */
function unparkScope(sc: u32, now: f64, onlineEdge: bool): void {
  let spread: f64 = 0;
  const d = domainOfScope(sc);
  let slot = firstMember(sc);
  // A paced domain's backlog leaves at the pace, which is sized to the backend; the spread,
  // sized to the outage, is for when nothing says what the backend can take.
  if (onlineEdge && paced(d)) {
    if (slot != NONE && hasFlag(slot, F_PARKED)) rephaseAfterOutage(d, now);
  } else if (onlineEdge && policy(RECONNECT_SPREAD_RATIO) > 0) {
    const since = offlineSinceOf(sc);
    const outage = since < 0 ? 0 : now - since;
    spread = min<f64>(policy(RECONNECT_SPREAD_MAX), outage * policy(RECONNECT_SPREAD_RATIO));
  }
  while (slot != NONE && hasFlag(slot, F_PARKED)) {
    const next = nextOf(slot);
    if (eligible(slot)) {
      unpark(sc, slot);
      const offset = spread > 0 ? spread * draw() : 0;
      if (offset > 0) schedule(slot, d, now + offset);
      else consider(slot, now);
    }
    slot = next;
  }
}

export function setDomainConditions(domain: u32, flags: u32, now: f64): void {
  const old = conditionsOf(domain);
  setConditions(domain, flags);
  const wasOnline = (old & D_ONLINE) != 0;
  const isOnline = (flags & D_ONLINE) != 0;
  const improved = (!wasOnline && isOnline)
    || ((old & D_METERED) != 0 && (flags & D_METERED) == 0)
    || ((old & D_ON_BATTERY) != 0 && (flags & D_ON_BATTERY) == 0);
  for (let sc = firstScopeIn(domain); sc != NONE; sc = nextScopeInDomain(sc)) {
    if ((scopeFlags(sc) & (S_ONLINE | S_ALIVE)) != (S_ONLINE | S_ALIVE)) continue;
    if (wasOnline && !isOnline) setOfflineSince(sc, now);
    else if (isOnline && improved) unparkScope(sc, now, !wasOnline);
  }
}

/**
 * A new pace for the domain (0: none). The registrations holding reservations of the old one
 * take new ones, in the order they joined their scopes: O(k log n) for the domain's k
 * registrations, as an online edge.
 */
export function setDomainPace(domain: u32, interval: f64, phase: f64, now: f64): void {
  if (samePace(domain, interval, phase)) return;
  changePace(domain, interval, phase, now);
  for (let sc = firstScopeIn(domain); sc != NONE; sc = nextScopeInDomain(sc)) {
    let slot = firstMember(sc);
    while (slot != NONE) {
      const next = nextOf(slot);
      if (hasFlag(slot, F_PACED)) {
        unscheduleLook(slot);
        consider(slot, now);
      }
      slot = next;
    }
  }
}

export function setScopeOnline(sc: u32, online: bool, now: f64): void {
  const was = (scopeFlags(sc) & S_ONLINE) != 0;
  setScopeFlag(sc, S_ONLINE, online);
  if ((conditionsOf(domainOfScope(sc)) & D_ONLINE) == 0) return;
  if (was && !online) setOfflineSince(sc, now);
  else if (!was && online) unparkScope(sc, now, true);
}

export function removeScope(sc: u32): u32 {
  const d = domainOfScope(sc);
  let removed: u32 = 0;
  let slot = firstMember(sc);
  while (slot != NONE) {
    const next = nextOf(slot);
    unschedule(slot, d);
    release(slot, d);
    removed++;
    slot = next;
  }
  killScope(sc);
  return removed;
}

export function handleTimeout(now: f64): void {
  while (anyTimer() && earliest() <= now) {
    const slot = earliestSlot();
    const d = earliestDomain();
    const state = stateOf(slot);
    unschedule(slot, d);
    if (state == STATE_FIRING || state == STATE_REREGISTERED_WHILE_FIRING) {
      decide(slot, d, OUT_TIMED_OUT, 0);
      complete(slot, OUTCOME_TIMEOUT, 0, now);
    } else {
      if (state == STATE_WAITING) setState(slot, STATE_PENDING);
      consider(slot, now);
    }
  }
}
