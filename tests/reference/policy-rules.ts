// The reference model's policy, written from the field table of SEMANTICS.md "Policy" and
// from none of the product's code: its own names, preset tables, encoding of enum values and
// validation, so that a misreading shared with wasm-core/binding/policy.ts cannot hide. Values are
// kept as the core keeps them, as numbers (jitter as its index, booleans as 0/1). Only the
// shapes are shared: the differential test hands the model the product's Policy objects, and
// TypeScript checks that the two interfaces agree field by field.

/** Largest time or delay the core accepts or schedules: 2^53 ms. */
export const MAX_TIME = 2 ** 53;
/** Slot space of registration ids (24 bits). */
export const SLOT_LIMIT = 2 ** 24;

/** SEMANTICS.md "Back-off": jitter modes by number. */
export const MODEL_JITTERS = ["none", "full", "equal", "decorrelated", "ratio"] as const;
export type ModelJitter = (typeof MODEL_JITTERS)[number];

/** SEMANTICS.md "Policy": presets by number. */
export const MODEL_PRESETS = ["chromium", "kiosk"] as const;
export type ModelPreset = (typeof MODEL_PRESETS)[number];

export interface ModelPolicy {
  maxAttempts: number;
  initialRetryDelay: number;
  retryDelayFactor: number;
  maxRetryDelay: number;
  jitter: ModelJitter;
  jitterRatio: number;
  eventTimeout: number;
  lastChanceEventTimeout: number;
  reregisterBypassesBackoff: boolean;
  maxRetention: number;
  reconnectSpreadRatio: number;
  reconnectSpreadMax: number;
  budgetCapacity: number;
  budgetRetryCost: number;
  budgetTimeoutRetryCost: number;
  budgetSuccessRefund: number;
  budgetRefillPerSecond: number;
  periodicMinInterval: number;
  periodicMaxAttempts: number;
  periodicSnap: boolean;
  scopeMinGap: number;
  wakeupGranularity: number;
  maxRegistrations: number;
  maxAbortedAttempts: number;
}

export type RawPolicy = Record<keyof ModelPolicy, number>;

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The field table of SEMANTICS.md "Policy": each field's kind and its two preset values. */
const FIELDS: { readonly [K in keyof ModelPolicy]: readonly [kind: "number" | "flag" | "jitter", chromium: number, kiosk: number] } = {
  maxAttempts: ["number", 3, 12],
  initialRetryDelay: ["number", 5 * MINUTE, 30_000],
  retryDelayFactor: ["number", 3, 2],
  maxRetryDelay: ["number", Infinity, HOUR],
  jitter: ["jitter", 0, 1],
  jitterRatio: ["number", 0, 0.2],
  eventTimeout: ["number", 3 * MINUTE, 2 * MINUTE],
  lastChanceEventTimeout: ["number", 3 * MINUTE, 2 * MINUTE],
  reregisterBypassesBackoff: ["flag", 0, 1],
  maxRetention: ["number", 0, 7 * 24 * HOUR],
  reconnectSpreadRatio: ["number", 0, 0.1],
  reconnectSpreadMax: ["number", 0, 5 * MINUTE],
  budgetCapacity: ["number", 0, 500],
  budgetRetryCost: ["number", 5, 5],
  budgetTimeoutRetryCost: ["number", 10, 10],
  budgetSuccessRefund: ["number", 1, 1],
  budgetRefillPerSecond: ["number", 0, 0.5],
  periodicMinInterval: ["number", 12 * HOUR, 15 * MINUTE],
  periodicMaxAttempts: ["number", 3, 3],
  periodicSnap: ["flag", 1, 0],
  scopeMinGap: ["number", 12 * HOUR, 0],
  wakeupGranularity: ["number", 0, MINUTE],
  maxRegistrations: ["number", SLOT_LIMIT, SLOT_LIMIT],
  maxAbortedAttempts: ["number", 0, 3],
};

const NAMES = Object.keys(FIELDS) as (keyof ModelPolicy)[];

function isModelField(name: string): name is keyof ModelPolicy {
  return Object.hasOwn(FIELDS, name);
}

export function presetPolicy(preset: ModelPreset): RawPolicy {
  const column = preset === "kiosk" ? 2 : 1;
  return Object.fromEntries(NAMES.map((name) => [name, FIELDS[name][column]])) as RawPolicy;
}

/** A host's value as the core's number: NaN for what no number stands for. */
function encode(field: keyof ModelPolicy, value: unknown): number {
  const kind = FIELDS[field][0];
  if (kind === "jitter") return MODEL_JITTERS.indexOf(value as ModelJitter) >= 0 ? MODEL_JITTERS.indexOf(value as ModelJitter) : Number.NaN;
  if (typeof value === "boolean") return value ? 1 : 0;
  return typeof value === "number" ? value : Number.NaN;
}

export function decode(raw: RawPolicy): ModelPolicy {
  const out: Record<string, unknown> = {};
  for (const name of NAMES) {
    const kind = FIELDS[name][0];
    out[name] = kind === "jitter" ? MODEL_JITTERS[raw[name]] : kind === "flag" ? raw[name] === 1 : raw[name];
  }
  return out as unknown as ModelPolicy;
}

const isInteger = (v: number) => Number.isFinite(v) && Math.floor(v) === v;
/** A finite duration or time in [0, MAX_TIME]. */
export const isTime = (v: number): boolean => Number.isFinite(v) && v >= 0 && v <= MAX_TIME;

/** Whether `field` may hold `v` (SEMANTICS.md "Policy", the ranges column). */
function inRange(field: keyof ModelPolicy, v: number): boolean {
  switch (field) {
    case "maxAttempts":
    case "periodicMaxAttempts":
      return isInteger(v) && v >= 1 && v <= 255;
    case "maxAbortedAttempts":
      return isInteger(v) && v >= 0 && v <= 255;
    case "retryDelayFactor":
      return Number.isFinite(v) && v >= 1;
    case "maxRetryDelay":
      return v >= 0; // Infinity = no cap
    case "jitter":
      return isInteger(v) && v >= 0 && v < MODEL_JITTERS.length;
    case "jitterRatio":
      return v >= 0 && v <= 1;
    case "eventTimeout":
    case "lastChanceEventTimeout":
      return isTime(v) && v >= 1;
    case "reregisterBypassesBackoff":
    case "periodicSnap":
      return v === 0 || v === 1;
    case "budgetCapacity":
    case "budgetRefillPerSecond":
      return Number.isFinite(v) && v >= 0;
    case "maxRegistrations":
      return isInteger(v) && v >= 1 && v <= SLOT_LIMIT;
    default:
      return isTime(v);
  }
}

/**
 * The policy after `overrides`, or undefined when it is refused: an unknown field, a value
 * out of range, or a budget that could never refill (capacity > 0 with refill 0).
 */
export function applyOverrides(current: RawPolicy, overrides: Partial<Record<string, unknown>>): RawPolicy | undefined {
  const next = { ...current };
  for (const [name, value] of Object.entries(overrides)) {
    if (!isModelField(name)) return undefined;
    const v = encode(name, value);
    if (!inRange(name, v)) return undefined;
    next[name] = v;
  }
  return next.budgetCapacity > 0 && next.budgetRefillPerSecond === 0 ? undefined : next;
}
