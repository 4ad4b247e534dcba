// Policy names for the core's numbered policy fields (wasm-core/src/policy.ts).

export const JITTER_MODES = ["none", "full", "equal", "decorrelated", "ratio"] as const;
/** Jitter applied to the back-off: see "Exponential Backoff And Jitter" (AWS, 2015). */
export type JitterMode = (typeof JITTER_MODES)[number];

export const PRESETS = ["chromium", "kiosk"] as const;
/**
 * `chromium`: Chromium's exact timeline (3 attempts, 5 min then 15 min, 3 min events, 12 h
 * periodic minimum, no jitter), the Web API's default. `kiosk`: for devices offline for
 * hours (12 attempts, capped exponential back-off with full jitter, reconnect spread,
 * a per-domain retry budget).
 */
export type Preset = (typeof PRESETS)[number];

/** Every tunable of the core; times in milliseconds. */
export interface Policy {
  /** Attempts of a one-shot registration before it is dropped (1–255). */
  maxAttempts: number;
  initialRetryDelay: number;
  retryDelayFactor: number;
  /** Cap on a single back-off delay; Infinity for none. */
  maxRetryDelay: number;
  jitter: JitterMode;
  /** ± fraction for `ratio` jitter (0–1). */
  jitterRatio: number;
  /** Event time limit; an event still running then is a timeout, i.e. a failed attempt. */
  eventTimeout: number;
  /** Time limit of a `lastChance` event. */
  lastChanceEventTimeout: number;
  /** Spec rule (true): re-registering a waiting registration skips its back-off. Chromium: false. */
  reregisterBypassesBackoff: boolean;
  /** After this age a one-shot registration gets a last-chance attempt; 0 = never. */
  maxRetention: number;
  /** Reconnect spread = min(reconnectSpreadMax, outage × reconnectSpreadRatio). */
  reconnectSpreadRatio: number;
  reconnectSpreadMax: number;
  /** Retry budget per domain in tokens; 0 disables it. */
  budgetCapacity: number;
  budgetRetryCost: number;
  budgetTimeoutRetryCost: number;
  budgetSuccessRefund: number;
  budgetRefillPerSecond: number;
  periodicMinInterval: number;
  /** Attempts per period of a periodic registration. */
  periodicMaxAttempts: number;
  /** Round intervals up to multiples of periodicMinInterval, as Chromium does. */
  periodicSnap: boolean;
  /** Default minimum gap between successful periodic events of one scope. */
  scopeMinGap: number;
  /** Periodic due times are rounded up to this granularity (timer coalescing); 0 = off. */
  wakeupGranularity: number;
  /** Live registrations allowed in one core instance. */
  maxRegistrations: number;
  /**
   * Aborted attempts (connectivity lost during the event) a registration may have without
   * counting them, 0–255; beyond, and always on its last chance, one counts as a failure.
   */
  maxAbortedAttempts: number;
}

/** Field order = the core's field numbers. */
export const POLICY_FIELDS: readonly (keyof Policy)[] = [
  "maxAttempts",
  "initialRetryDelay",
  "retryDelayFactor",
  "maxRetryDelay",
  "jitter",
  "jitterRatio",
  "eventTimeout",
  "lastChanceEventTimeout",
  "reregisterBypassesBackoff",
  "maxRetention",
  "reconnectSpreadRatio",
  "reconnectSpreadMax",
  "budgetCapacity",
  "budgetRetryCost",
  "budgetTimeoutRetryCost",
  "budgetSuccessRefund",
  "budgetRefillPerSecond",
  "periodicMinInterval",
  "periodicMaxAttempts",
  "periodicSnap",
  "scopeMinGap",
  "wakeupGranularity",
  "maxRegistrations",
  "maxAbortedAttempts",
];

export function encodePolicyValue(field: keyof Policy, value: Policy[keyof Policy]): number {
  if (field === "jitter") {
    const index = JITTER_MODES.indexOf(value as JitterMode);
    return index < 0 ? Number.NaN : index;
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  return typeof value === "number" ? value : Number.NaN;
}

export function decodePolicyValue(field: keyof Policy, raw: number): Policy[keyof Policy] {
  if (field === "jitter") return JITTER_MODES[raw] ?? "none";
  if (field === "reregisterBypassesBackoff" || field === "periodicSnap") return raw === 1;
  return raw;
}

/**
 * The order in which overrides are applied: a budget's refill rate before its capacity,
 * because the core refuses a budget that could never refill.
 */
export function overrideOrder(overrides: Partial<Policy>): (keyof Policy)[] {
  const keys = Object.keys(overrides) as (keyof Policy)[];
  const rank = (k: keyof Policy) => {
    if (k === "budgetRefillPerSecond") return overrides.budgetRefillPerSecond === 0 ? 2 : 0;
    if (k === "budgetCapacity") return 1;
    return 0;
  };
  return keys.sort((a, b) => rank(a) - rank(b));
}
