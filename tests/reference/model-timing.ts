// The reference model's timing rules (SEMANTICS.md "Retry budget", "Back-off", "Periodic
// timing"), as functions of the model's own policy and random source: the arithmetic of the
// contract, apart from the state machine that applies it (model.ts).

import type { ModelDomain, ModelRegistration } from "./model-entities.js";
import { MAX_TIME, MODEL_JITTERS, type RawPolicy } from "./policy-rules.js";
import type { Xoshiro128 } from "./random.js";

export function budgetEnabled(p: RawPolicy): boolean {
  return p.budgetCapacity > 0;
}

/** The domain's tokens now, refilled since the last read. */
export function refill(p: RawPolicy, d: ModelDomain, now: number): number {
  d.tokens = Math.min(p.budgetCapacity, d.tokens + ((now - d.refilledAt) / 1000) * p.budgetRefillPerSecond);
  d.refilledAt = now;
  return d.tokens;
}

export function refund(p: RawPolicy, d: ModelDomain, amount: number, now: number): void {
  d.tokens = Math.min(p.budgetCapacity, refill(p, d, now) + amount);
}

/** Never more than a full bucket, or a retry could never be paid for. */
export function retryCost(p: RawPolicy, r: ModelRegistration): number {
  const cost = r.retryAfterTimeout ? p.budgetTimeoutRetryCost : p.budgetRetryCost;
  return Math.min(cost, p.budgetCapacity);
}

export function periodicDue(p: RawPolicy, r: ModelRegistration): number {
  const minimum = p.periodicMinInterval;
  let interval = Math.max(r.minInterval, minimum);
  if (p.periodicSnap === 1 && minimum > 0) interval = Math.ceil(interval / minimum) * minimum;
  let due = r.anchor + interval;
  const origin = r.scope.origin;
  if (origin.hasFiredPeriodic) due = Math.max(due, origin.lastPeriodicFire + origin.minGap);
  const g = p.wakeupGranularity;
  if (g > 0) due = Math.ceil(due / g) * g;
  return due;
}

/** Delay after the n-th failure (SEMANTICS.md "Back-off"). */
export function backoff(p: RawPolicy, random: Xoshiro128, n: number, lastDelay: number): number {
  const initial = p.initialRetryDelay;
  // Contract: the cap is min(maxRetryDelay, MAX_TIME): maxRetryDelay = Infinity (no cap)
  // still clamps to 2^53.
  const cap = Math.min(p.maxRetryDelay, MAX_TIME);
  let base = initial;
  for (let i = 1; i < n; i++) base *= p.retryDelayFactor;
  base = Math.min(base, cap);
  switch (MODEL_JITTERS[p.jitter]) {
    case "full":
      return base * random.draw();
    case "equal":
      return base / 2 + (base / 2) * random.draw();
    case "decorrelated":
      return Math.min(cap, initial + (Math.max(lastDelay, initial) * 3 - initial) * random.draw());
    case "ratio":
      return Math.min(cap, base + base * p.jitterRatio * (2 * random.draw() - 1));
    default:
      return base;
  }
}

/** A server's Retry-After, spread over [retryAfter, 2 × retryAfter) when the policy jitters. */
export function retryAfterWait(p: RawPolicy, random: Xoshiro128, retryAfter: number): number {
  if (retryAfter <= 0 || MODEL_JITTERS[p.jitter] === "none") return retryAfter;
  return Math.min(MAX_TIME, retryAfter + retryAfter * random.draw());
}
