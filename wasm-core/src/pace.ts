// The pace of a domain: at most one fire per `interval` ms, as the backend's admission topic
// sizes it (the host sets it; the core never learns why). A generic cell rate algorithm in
// its virtual-scheduling form: `paceNext` is the earliest time of the next fire, and a
// registration that is due before it reserves that point and the next one moves on by one
// interval. A reservation is one heap entry, so each decision stays O(log n) however long
// the domain's queue is.
//
// Devices pacing on their own start at random points of their interval, so a fleet's
// requests in any one second vary as a Poisson count does. A backend that hands each device
// a slot of a common grid (a phase) interleaves them exactly: the domain's fires then fall
// on its grid points only.

import { paceIntervalOf, setPaceInterval, paceNextOf, setPaceNext, pacePhaseOf, setPacePhase } from "./domains";
import { draw } from "./rng";

export function paced(d: u32): bool {
  return paceIntervalOf(d) > 0;
}

/** The first point of the domain's grid at or after `t` (`t` itself without a grid). */
function onGrid(d: u32, t: f64): f64 {
  const phase = pacePhaseOf(d);
  if (phase < 0) return t;
  const interval = paceIntervalOf(d);
  return phase + Math.ceil((t - phase) / interval) * interval;
}

/**
 * The time a registration due `now` may fire, reserving it: `now` (fire at once) or a later
 * point of the pace. Only called while the domain is paced.
 */
export function reserve(d: u32, now: f64): f64 {
  const at = onGrid(d, max<f64>(now, paceNextOf(d)));
  setPaceNext(d, at + paceIntervalOf(d));
  return at;
}

/**
 * After an outage the domain's first reservation lands at a random point of one interval
 * from now (one draw), so that devices coming back together do not all fire at once; never
 * earlier than a point already reserved. With a grid, its slot does that without a draw.
 */
export function rephaseAfterOutage(d: u32, now: f64): void {
  if (pacePhaseOf(d) >= 0) return;
  setPaceNext(d, max<f64>(paceNextOf(d), now + paceIntervalOf(d) * draw()));
}

/**
 * A new interval and grid. A domain holding registrations back restarts at its first grid
 * point, or without a grid at a random point of the new interval (one draw: every device
 * hears the backend at once, and restarting all at `now` would be a herd); an idle one stays
 * free to fire at once (at its next grid point with a grid).
 */
export function changePace(d: u32, interval: f64, phase: f64, now: f64): void {
  setPaceInterval(d, interval);
  setPacePhase(d, phase);
  if (interval > 0 && paceNextOf(d) > now) setPaceNext(d, phase >= 0 ? now : now + interval * draw());
}

/** Whether `interval` and `phase` are what the domain has now. */
export function samePace(d: u32, interval: f64, phase: f64): bool {
  return paceIntervalOf(d) == interval && pacePhaseOf(d) == phase;
}
