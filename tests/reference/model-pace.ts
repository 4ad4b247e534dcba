// The reference model's pace of a domain (SEMANTICS.md "Pace"): the arithmetic of its
// reservations and of the moments that move its next point, on the model's own domain
// record and random source; which registrations hold reservations is the state machine's
// business (model-transitions.ts, model.ts).

import type { ModelDomain } from "./model-entities.js";
import type { Xoshiro128 } from "./random.js";

/** The first point of the domain's grid at or after `t` (`t` itself without a grid). */
function onGrid(d: ModelDomain, t: number): number {
  if (d.pacePhase < 0) return t;
  return d.pacePhase + Math.ceil((t - d.pacePhase) / d.paceInterval) * d.paceInterval;
}

/** The point a registration due `now` reserves, and the domain's next point moves past it. */
export function reservePoint(d: ModelDomain, now: number): number {
  // Contract: with a grid, the reserved point is the first grid point at or after max(now, paceNext).
  const at = onGrid(d, Math.max(now, d.paceNext));
  d.paceNext = at + d.paceInterval;
  return at;
}

/** An online edge with something parked: without a grid, the next point moves into the interval ahead. */
export function afterOutage(d: ModelDomain, now: number, random: Xoshiro128): void {
  if (d.pacePhase < 0) d.paceNext = Math.max(d.paceNext, now + d.paceInterval * random.draw());
}

/** A new interval and grid; the caller has checked that they differ from the old ones. */
export function newPace(d: ModelDomain, intervalMs: number, phase: number, now: number, random: Xoshiro128): void {
  d.paceInterval = intervalMs;
  d.pacePhase = phase;
  // Contract: a domain holding registrations back (paceNext later than now) restarts at its
  // first grid point, or without a grid at a random point of the new interval (one draw);
  // an idle one stays free to fire at once (at its next grid point with a grid).
  if (intervalMs > 0 && d.paceNext > now) d.paceNext = phase >= 0 ? now : now + intervalMs * random.draw();
}
