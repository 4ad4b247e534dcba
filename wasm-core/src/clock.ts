// The core never reads a clock; it only guards the times it is given. Monotonic input is
// what makes the decisions reproducible, so a time that goes backwards is refused.

import { BAD_TIME, OK, TIME_WENT_BACKWARDS } from "./errors";

let latest: f64 = 0;

/** OK when `now` is a usable time; the call that supplied it then records it. */
export function checkTime(now: f64): i32 {
  if (!isFinite(now) || now < 0) return BAD_TIME;
  if (now < latest) return TIME_WENT_BACKWARDS;
  return OK;
}

export function advanceTo(now: f64): void {
  latest = now;
}
