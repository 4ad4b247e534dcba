// The per-domain retry budget: a token bucket in the manner of the AWS SDK's retry quota
// (a retry costs tokens, a timeout-caused retry costs more, a success refunds), plus a
// steady refill so that a domain whose every attempt fails still retries, only slower.

import { policy, BUDGET_CAPACITY, BUDGET_REFILL_PER_SECOND, BUDGET_RETRY_COST, BUDGET_TIMEOUT_RETRY_COST, MAX_TIME } from "./policy";
import { refilledAtOf, setRefilledAt, setTokens, tokensOf } from "./domains";
import { F_TIMEOUT_COST, hasFlag } from "./registrations";

export function budgetEnabled(): bool {
  return policy(BUDGET_CAPACITY) > 0;
}

/** What the next retry of `slot` costs; never more than a full bucket, or it could never be paid for. */
export function retryCost(slot: u32): f64 {
  return min<f64>(policy(hasFlag(slot, F_TIMEOUT_COST) ? BUDGET_TIMEOUT_RETRY_COST : BUDGET_RETRY_COST), policy(BUDGET_CAPACITY));
}

/** Tokens available at `now`, after the refill since the last look. */
export function refill(d: u32, now: f64): f64 {
  const t = min<f64>(policy(BUDGET_CAPACITY), tokensOf(d) + (now - refilledAtOf(d)) / 1000.0 * policy(BUDGET_REFILL_PER_SECOND));
  setTokens(d, t);
  setRefilledAt(d, now);
  return t;
}

/** Milliseconds until `cost` tokens are there (at most MAX_TIME); 0 when they are there now. */
export function waitFor(d: u32, cost: f64, now: f64): f64 {
  const t = refill(d, now);
  if (t >= cost) return 0;
  return min<f64>(MAX_TIME, (cost - t) / policy(BUDGET_REFILL_PER_SECOND) * 1000.0);
}

export function spend(d: u32, cost: f64, now: f64): void {
  setTokens(d, refill(d, now) - cost);
}

/** Give `amount` tokens back (a retry's cost, or the success refund), capped at capacity. */
export function refund(d: u32, amount: f64, now: f64): void {
  setTokens(d, min<f64>(policy(BUDGET_CAPACITY), refill(d, now) + amount));
}
