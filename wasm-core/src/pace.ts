// The pace of a domain: at most one fire per `interval` ms, as the backend's admission topic
// sizes it (the host sets it; the core never learns why). A generic cell rate algorithm in
// its virtual-scheduling form: `paceNext` is the earliest time of the next fire, and a
// registration that is due before it reserves that point and the next one moves on by one
// interval. A reservation is one heap entry, so each decision stays O(log n) however long
// the domain's queue is.

import { paceIntervalOf, setPaceInterval, paceNextOf, setPaceNext } from "./domains";
import { draw } from "./rng";

export function paced(d: u32): bool {
  return paceIntervalOf(d) > 0;
}

/**
 * The time a registration due `now` may fire, reserving it: `now` (fire at once) or a later
 * point of the pace. Only called while the domain is paced.
 */
export function reserve(d: u32, now: f64): f64 {
  const at = max<f64>(now, paceNextOf(d));
  setPaceNext(d, at + paceIntervalOf(d));
  return at;
}

/**
 * After an outage the domain's first reservation lands at a random point of one interval
 * from now (one draw), so that devices coming back together do not all fire at once; never
 * earlier than a point already reserved.
 */
export function rephaseAfterOutage(d: u32, now: f64): void {
  setPaceNext(d, max<f64>(paceNextOf(d), now + paceIntervalOf(d) * draw()));
}

/**
 * A new interval. A domain holding registrations back restarts at a random point of the new
 * interval (one draw; every device hears the backend at once, and restarting all at `now`
 * would be a herd); an idle one stays free to fire at once.
 */
export function changePace(d: u32, interval: f64, now: f64): void {
  setPaceInterval(d, interval);
  if (interval > 0 && paceNextOf(d) > now) setPaceNext(d, now + interval * draw());
}
