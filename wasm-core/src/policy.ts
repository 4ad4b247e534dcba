// Everything the spec leaves to the user agent, as numbers the host may tune. Fields are
// addressed by index so the raw module and the WIT component share one setter.

import { BAD_POLICY, OK } from "./errors";

export const MAX_ATTEMPTS: i32 = 0;
export const INITIAL_RETRY_DELAY: i32 = 1;
export const RETRY_DELAY_FACTOR: i32 = 2;
export const MAX_RETRY_DELAY: i32 = 3;
export const JITTER: i32 = 4;
export const JITTER_RATIO: i32 = 5;
export const EVENT_TIMEOUT: i32 = 6;
export const LAST_CHANCE_EVENT_TIMEOUT: i32 = 7;
export const REREGISTER_BYPASSES_BACKOFF: i32 = 8;
export const MAX_RETENTION: i32 = 9;
export const RECONNECT_SPREAD_RATIO: i32 = 10;
export const RECONNECT_SPREAD_MAX: i32 = 11;
export const BUDGET_CAPACITY: i32 = 12;
export const BUDGET_RETRY_COST: i32 = 13;
export const BUDGET_TIMEOUT_RETRY_COST: i32 = 14;
export const BUDGET_SUCCESS_REFUND: i32 = 15;
export const BUDGET_REFILL_PER_SECOND: i32 = 16;
export const PERIODIC_MIN_INTERVAL: i32 = 17;
export const PERIODIC_MAX_ATTEMPTS: i32 = 18;
export const PERIODIC_SNAP: i32 = 19;
export const SCOPE_MIN_GAP: i32 = 20;
export const WAKEUP_GRANULARITY: i32 = 21;
export const MAX_REGISTRATIONS: i32 = 22;
export const MAX_ABORTED_ATTEMPTS: i32 = 23;
export const FIELD_COUNT: i32 = 24;

export const JITTER_NONE: i32 = 0;
export const JITTER_FULL: i32 = 1;
export const JITTER_EQUAL: i32 = 2;
export const JITTER_DECORRELATED: i32 = 3;
export const JITTER_RATIO_MODE: i32 = 4;

export const PRESET_CHROMIUM: i32 = 0;
export const PRESET_KIOSK: i32 = 1;

/** Largest delay or time the core will schedule: 2^53 ms, so every key stays exact. */
export const MAX_TIME: f64 = 9007199254740992.0;
/** Slot space of registration ids (24 bits). */
export const SLOT_LIMIT: f64 = 16777216.0;

const MINUTE: f64 = 60000.0;
const HOUR: f64 = 3600000.0;

const values: usize = memory.data(FIELD_COUNT * 8);

// @ts-ignore: decorator
@inline export function policy(field: i32): f64 {
  return load<f64>(values + (<usize>field << 3));
}

// @ts-ignore: decorator
@inline export function policyInt(field: i32): i32 {
  return <i32>load<f64>(values + (<usize>field << 3));
}

function isInteger(v: f64): bool {
  return isFinite(v) && Math.floor(v) == v;
}

function valid(field: i32, v: f64): bool {
  if (isNaN(v)) return false;
  switch (field) {
    case MAX_ATTEMPTS:
    case PERIODIC_MAX_ATTEMPTS:
      return isInteger(v) && v >= 1 && v <= 255;
    case MAX_ABORTED_ATTEMPTS:
      return isInteger(v) && v >= 0 && v <= 255;
    case RETRY_DELAY_FACTOR:
      return isFinite(v) && v >= 1;
    case MAX_RETRY_DELAY:
      return v >= 0; // +Infinity: no cap (delays are still clamped to MAX_TIME)
    case JITTER:
      return isInteger(v) && v >= 0 && v <= 4;
    case JITTER_RATIO:
      return v >= 0 && v <= 1;
    case EVENT_TIMEOUT:
    case LAST_CHANCE_EVENT_TIMEOUT:
      return isFinite(v) && v >= 1 && v <= MAX_TIME;
    case REREGISTER_BYPASSES_BACKOFF:
    case PERIODIC_SNAP:
      return v == 0 || v == 1;
    case BUDGET_CAPACITY:
      // A budget that never refills would strand a blocked retry forever.
      return isFinite(v) && v >= 0 && (v == 0 || policy(BUDGET_REFILL_PER_SECOND) > 0);
    case BUDGET_REFILL_PER_SECOND:
      return isFinite(v) && v >= 0 && (v > 0 || policy(BUDGET_CAPACITY) == 0);
    case MAX_REGISTRATIONS:
      return isInteger(v) && v >= 1 && v <= SLOT_LIMIT;
    default:
      return isFinite(v) && v >= 0 && v <= MAX_TIME;
  }
}

export function setPolicy(field: i32, v: f64): i32 {
  if (field < 0 || field >= FIELD_COUNT || !valid(field, v)) return BAD_POLICY;
  store<f64>(values + (<usize>field << 3), v);
  return OK;
}

export function getPolicy(field: i32): f64 {
  if (field < 0 || field >= FIELD_COUNT) return NaN;
  return policy(field);
}

function put(field: i32, v: f64): void {
  store<f64>(values + (<usize>field << 3), v);
}

/**
 * `chromium` reproduces background_sync_parameters.cc: 3 attempts, 5 min then 15 min,
 * 3 min events, 12 h periodic minimum snapped to multiples of itself, no jitter,
 * re-registration keeps the back-off, and every dispatched event counts as an attempt (no
 * free aborted attempts). `kiosk` is for devices offline for hours: many
 * attempts, capped exponential back-off with full jitter, a reconnect spread that grows
 * with the outage, and a per-domain retry budget in the manner of the AWS SDK's quota.
 */
export function usePreset(preset: i32): i32 {
  if (preset != PRESET_CHROMIUM && preset != PRESET_KIOSK) return BAD_POLICY;
  const kiosk = preset == PRESET_KIOSK;
  put(MAX_ATTEMPTS, kiosk ? 12 : 3);
  put(INITIAL_RETRY_DELAY, kiosk ? 30000 : 5 * MINUTE);
  put(RETRY_DELAY_FACTOR, kiosk ? 2 : 3);
  put(MAX_RETRY_DELAY, kiosk ? HOUR : Infinity);
  put(JITTER, kiosk ? JITTER_FULL : JITTER_NONE);
  put(JITTER_RATIO, kiosk ? 0.2 : 0);
  put(EVENT_TIMEOUT, kiosk ? 2 * MINUTE : 3 * MINUTE);
  put(LAST_CHANCE_EVENT_TIMEOUT, kiosk ? 2 * MINUTE : 3 * MINUTE);
  put(REREGISTER_BYPASSES_BACKOFF, kiosk ? 1 : 0);
  put(MAX_RETENTION, kiosk ? 7 * 24 * HOUR : 0);
  put(RECONNECT_SPREAD_RATIO, kiosk ? 0.1 : 0);
  put(RECONNECT_SPREAD_MAX, kiosk ? 5 * MINUTE : 0);
  put(BUDGET_CAPACITY, kiosk ? 500 : 0);
  put(BUDGET_RETRY_COST, 5);
  put(BUDGET_TIMEOUT_RETRY_COST, 10);
  put(BUDGET_SUCCESS_REFUND, 1);
  put(BUDGET_REFILL_PER_SECOND, kiosk ? 0.5 : 0);
  put(PERIODIC_MIN_INTERVAL, kiosk ? 15 * MINUTE : 12 * HOUR);
  put(PERIODIC_MAX_ATTEMPTS, 3);
  put(PERIODIC_SNAP, kiosk ? 0 : 1);
  put(SCOPE_MIN_GAP, kiosk ? 0 : 12 * HOUR);
  put(WAKEUP_GRANULARITY, kiosk ? MINUTE : 0);
  put(MAX_REGISTRATIONS, SLOT_LIMIT);
  // A kiosk's link may drop during a few events without using up its attempts, but a link
  // that drops during every event must not retry forever.
  put(MAX_ABORTED_ATTEMPTS, kiosk ? 3 : 0);
  return OK;
}

usePreset(PRESET_CHROMIUM);
