// The reference model's policy: the presets' values and the range of every field, as
// SEMANTICS.md "Policy" delegates them to wasm-core/src/policy.ts. Values are kept as the
// core keeps them, as numbers (jitter as its index, booleans as 0/1).

import { type Policy, type Preset } from "../../agent/core/policy.js";

/** Largest time or delay the core accepts or schedules: 2^53 ms. */
export const MAX_TIME = 2 ** 53;
/** Slot space of registration ids (24 bits). */
export const SLOT_LIMIT = 2 ** 24;

export type RawPolicy = Record<keyof Policy, number>;

const MINUTE = 60_000;
const HOUR = 3_600_000;

export function presetPolicy(preset: Preset): RawPolicy {
  const kiosk = preset === "kiosk";
  return {
    maxAttempts: kiosk ? 12 : 3,
    initialRetryDelay: kiosk ? 30_000 : 5 * MINUTE,
    retryDelayFactor: kiosk ? 2 : 3,
    maxRetryDelay: kiosk ? HOUR : Infinity,
    jitter: kiosk ? 1 : 0,
    jitterRatio: kiosk ? 0.2 : 0,
    eventTimeout: kiosk ? 2 * MINUTE : 3 * MINUTE,
    lastChanceEventTimeout: kiosk ? 2 * MINUTE : 3 * MINUTE,
    reregisterBypassesBackoff: kiosk ? 1 : 0,
    maxRetention: kiosk ? 7 * 24 * HOUR : 0,
    reconnectSpreadRatio: kiosk ? 0.1 : 0,
    reconnectSpreadMax: kiosk ? 5 * MINUTE : 0,
    budgetCapacity: kiosk ? 500 : 0,
    budgetRetryCost: 5,
    budgetTimeoutRetryCost: 10,
    budgetSuccessRefund: 1,
    budgetRefillPerSecond: kiosk ? 0.5 : 0,
    periodicMinInterval: kiosk ? 15 * MINUTE : 12 * HOUR,
    periodicMaxAttempts: 3,
    periodicSnap: kiosk ? 0 : 1,
    scopeMinGap: kiosk ? 0 : 12 * HOUR,
    wakeupGranularity: kiosk ? MINUTE : 0,
    maxRegistrations: SLOT_LIMIT,
  };
}

const isInteger = (v: number) => Number.isFinite(v) && Math.floor(v) === v;

/** Whether `field` may take the value `v`, given the rest of the policy `p`. */
export function validPolicyValue(field: keyof Policy, v: number, p: RawPolicy): boolean {
  if (Number.isNaN(v)) return false;
  switch (field) {
    case "maxAttempts":
    case "periodicMaxAttempts":
      return isInteger(v) && v >= 1 && v <= 255;
    case "retryDelayFactor":
      return Number.isFinite(v) && v >= 1;
    case "maxRetryDelay":
      return v >= 0; // Infinity = no cap
    case "jitter":
      return isInteger(v) && v >= 0 && v <= 4;
    case "jitterRatio":
      return v >= 0 && v <= 1;
    case "eventTimeout":
    case "lastChanceEventTimeout":
      return Number.isFinite(v) && v >= 1 && v <= MAX_TIME;
    case "reregisterBypassesBackoff":
    case "periodicSnap":
      return v === 0 || v === 1;
    case "budgetCapacity": // a budget that never refills would strand a blocked retry
      return Number.isFinite(v) && v >= 0 && (v === 0 || p.budgetRefillPerSecond > 0);
    case "budgetRefillPerSecond":
      return Number.isFinite(v) && v >= 0 && (v > 0 || p.budgetCapacity === 0);
    case "maxRegistrations":
      return isInteger(v) && v >= 1 && v <= SLOT_LIMIT;
    default:
      return Number.isFinite(v) && v >= 0 && v <= MAX_TIME;
  }
}
