// How long a failed registration waits before its next attempt. Exponential by repeated
// multiplication (not pow, whose last bit differs between engines), capped, then jittered
// in one of the modes of "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015).

import {
  policy, policyInt, INITIAL_RETRY_DELAY, RETRY_DELAY_FACTOR, MAX_RETRY_DELAY, JITTER, JITTER_RATIO,
  JITTER_NONE, JITTER_FULL, JITTER_EQUAL, JITTER_DECORRELATED, JITTER_RATIO_MODE, MAX_TIME,
} from "./policy";
import { draw } from "./rng";

/** Delay after the `failures`-th failure (>= 1); `lastDelay` feeds decorrelated jitter. */
export function backoff(failures: u32, lastDelay: f64): f64 {
  const initial = policy(INITIAL_RETRY_DELAY);
  const factor = policy(RETRY_DELAY_FACTOR);
  const cap = min<f64>(policy(MAX_RETRY_DELAY), MAX_TIME);
  let base = initial;
  for (let i: u32 = 1; i < failures && base < cap; i++) base *= factor;
  base = min<f64>(base, cap);
  switch (policyInt(JITTER)) {
    case JITTER_FULL:
      return base * draw();
    case JITTER_EQUAL:
      return base / 2 + base / 2 * draw();
    case JITTER_DECORRELATED: {
      const prev = max<f64>(lastDelay, initial);
      return min<f64>(cap, initial + (prev * 3 - initial) * draw());
    }
    case JITTER_RATIO_MODE:
      return min<f64>(cap, base + base * policy(JITTER_RATIO) * (2 * draw() - 1));
    default:
      return base;
  }
}

/**
 * The wait a server's Retry-After asks for (0: none). When the policy jitters, it is spread
 * uniformly over [retryAfter, 2 × retryAfter): never earlier than the server said, and clients
 * told the same time do not all come back in the same second.
 */
export function retryAfterWait(retryAfter: f64): f64 {
  if (retryAfter <= 0 || policyInt(JITTER) == JITTER_NONE) return retryAfter;
  return min<f64>(MAX_TIME, retryAfter + retryAfter * draw());
}
