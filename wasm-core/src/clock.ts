// The core never reads a clock; it only guards the times it is given. Monotonic input is
// what makes the decisions reproducible, so a time that goes backwards is refused.

import { BAD_TIME, OK, TIME_WENT_BACKWARDS } from "./errors";

/**
 * 2^52 ms (about 142,000 years): below it a millisecond is still representable, so
 * `now + timeout > now` holds for every timeout the policy allows (>= 1 ms).
 */
export const MAX_NOW: f64 = 4503599627370496.0;

let latest: f64 = 0;

/** OK when `now` is a usable time; the call that supplied it then records it. */
export function checkTime(now: f64): i32 {
  if (!isFinite(now) || now < 0 || now > MAX_NOW) return BAD_TIME;
  if (now < latest) return TIME_WENT_BACKWARDS;
  return OK;
}

export function advanceTo(now: f64): void {
  latest = now;
}
