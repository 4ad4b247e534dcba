// When a periodic registration with no attempt counted is next due (SEMANTICS.md "Periodic
// due time"): its interval from the start of its period, no sooner than its origin scope's
// minimum gap after that origin's last periodic fire, rounded up to the wake-up granularity.

import { t0Of, intervalOf, scopeOf } from "./registrations";
import { firedPeriodic, minGapOf, lastPeriodicFireOf } from "./scopes";
import { policy, policyInt, PERIODIC_MIN_INTERVAL, PERIODIC_SNAP, WAKEUP_GRANULARITY } from "./policy";

export function periodicDue(slot: u32): f64 {
  const minimum = policy(PERIODIC_MIN_INTERVAL);
  let interval = max<f64>(intervalOf(slot), minimum);
  if (policyInt(PERIODIC_SNAP) == 1 && minimum > 0) interval = Math.ceil(interval / minimum) * minimum;
  let due = t0Of(slot) + interval;
  const sc = scopeOf(slot);
  if (firedPeriodic(sc)) due = max<f64>(due, lastPeriodicFireOf(sc) + minGapOf(sc));
  const g = policy(WAKEUP_GRANULARITY);
  if (g > 0) due = Math.ceil(due / g) * g;
  return due;
}
