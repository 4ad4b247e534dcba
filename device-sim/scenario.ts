// A scenario: the simulated world (fleet size, links, stalls, reboots, workload, backend,
// fleet-wide outages) and the policies compared in it. Files are JSON in the shape of
// DEFAULTS below; a file may be partial (the defaults fill the rest) and may start from a
// named scenario with "extends". Every field is checked; a bad one is one line naming it.

import type { SignalName } from "../agent/connectivity/fusion.js";
import { JITTER_MODES, POLICY_FIELDS, PRESETS, type Policy, type Preset } from "../wasm-core/binding/policy.js";
import { formatDuration, parseDuration } from "./duration.js";
import { quotedValue } from "../agent/quoted-value.js";

/** The built-in policies (device-sim/policies.ts). */
export const POLICY_NAMES = ["kiosk", "chromium", "workbox", "naive"] as const;
export type BuiltinPolicyName = (typeof POLICY_NAMES)[number];
/** A built-in policy's name, or an extra policy's from the scenario file. */
export type PolicyName = string;

/**
 * A policy a scenario file adds beside the built-in four: the real Agent with a preset and
 * policy overrides (the agent config's `policy` object), its "online" (navigator.onLine, or
 * the connectivity fusion as the kiosk policy has it) and whether its handler passes a 429's
 * Retry-After on.
 */
export interface ExtraPolicy {
  preset: Preset;
  policy: Partial<Policy>;
  online: "link" | "fused";
  retryAfter: boolean;
  /** Follow the backend's admission topic (pace at the device's share). Default false. */
  admission: boolean;
}

const KIOSK_SIGNALS = ["probe", "broker", "backendStatus"] as const satisfies readonly SignalName[];
type KioskSignal = (typeof KIOSK_SIGNALS)[number];

export type OutageKind = "backend" | "broker" | "link";

/** A fleet-wide event: the backend or the broker down, or the link of a fraction of devices. */
export interface FleetOutage {
  kind: OutageKind;
  atMs: number;
  forMs: number;
  /** Share of devices affected (link outages; backend and broker outages hit everyone). */
  fraction: number;
}

/** GE bursts within up periods, plus rare long stalls (the 78 s gaps of the ATT LTE uplink trace). */
export interface StallModel {
  /** P(good → bad) per step. */
  p: number;
  /** P(bad → good) per step. */
  r: number;
  stepMs: number;
  /** Share of bad runs that are long stalls instead of geometric bursts. */
  longProbability: number;
  longMinMs: number;
  longAlpha: number;
  longMaxMs: number;
}

export interface Scenario {
  name: string;
  description: string;
  devices: number;
  durationMs: number;
  seed: number;
  policies: PolicyName[];
  link: { upMeanMs: number; upShape: number; downMedianMs: number; downP99Ms: number; captive: number };
  stalls: StallModel | null;
  latency: { medianMs: number; p99Ms: number };
  reboots: { perDay: number; downMedianMs: number; downP99Ms: number; rtc: boolean; ntpSyncMs: number };
  workload: { perHour: number; tags: "unique" | "coalesce" };
  /**
   * admission: the share of its capacity the backend offers on its admission topic (0: no
   * topic); slots: it gives each device with work waiting a slot of one grid.
   */
  backend: { capacityPer1000: number; errorRate: number; retryAfterMs: number; admission: number; slots: boolean };
  fleet: FleetOutage[];
  /** `settleMs` undefined: the fusion's adaptive settle time ("adaptive" in a file). */
  kiosk: { require: KioskSignal[]; settleMs: number | undefined; probeIntervalMs: number };
  workbox: { pageReloadMs: number; maxRetentionMs: number };
  naive: { delayMs: number; maxAttempts: number };
  extraPolicies: Record<string, ExtraPolicy>;
}

/** Every policy the scenario defines, built-in first, in the order that keys their random streams. */
export function policyNames(s: Scenario): PolicyName[] {
  return [...POLICY_NAMES, ...Object.keys(s.extraPolicies)];
}

export class ScenarioError extends Error {}

/** Every field, with its default, in the file format. */
export const DEFAULTS = {
  name: "custom",
  description: "",
  devices: 1000,
  duration: "24h",
  seed: 1,
  policies: [...POLICY_NAMES] as string[],
  link: { up: { mean: "12h", shape: 1 }, down: { median: "90s", p99: "2h" }, captive: 0 },
  stalls: { p: 0.013, r: 0.33, step: "100ms", long: { probability: 0, min: "5s", alpha: 1.5, max: "120s" } } as Record<string, unknown> | null,
  latency: { median: "120ms", p99: "1.5s" },
  reboots: { perDay: 0.1, downtime: { median: "60s", p99: "10m" }, rtc: false, ntpSync: "30s" },
  workload: { perHour: 4, tags: "unique" },
  backend: { capacityPer1000: 20, errorRate: 0.005, retryAfter: "30s", admission: 0.8, slots: true },
  fleet: [] as unknown[],
  kiosk: { require: ["probe"], settle: "adaptive", probeInterval: "30s" },
  workbox: { pageReload: "24h", maxRetention: "7d" },
  naive: { delay: "1s", maxAttempts: 255 },
  extraPolicies: {} as Record<string, unknown>,
};

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `over` on top of `base`: objects merge, anything else (arrays, null) replaces. */
function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** Reads one level of the merged file, naming the path of anything wrong. */
class Fields {
  constructor(
    readonly obj: Json,
    readonly path: string,
    allowed: Json | undefined,
  ) {
    if (allowed) {
      for (const key of Object.keys(obj)) {
        if (!(key in allowed)) throw new ScenarioError(`unknown field ${this.at(key)} (known: ${Object.keys(allowed).join(", ")})`);
      }
    }
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  #bad(key: string, want: string): never {
    throw new ScenarioError(`${this.at(key)} must be ${want}, got ${quotedValue(this.obj[key])}`);
  }

  num(key: string, min: number, max: number, integer = false): number {
    const v = this.obj[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      this.#bad(key, `${integer ? "an integer" : "a number"} from ${min} to ${max}`);
    }
    return v;
  }

  dur(key: string, minMs = 0, maxMs = 365 * 86_400_000): number {
    const ms = parseDuration(this.obj[key]);
    if (ms === undefined || ms < minMs || ms > maxMs) this.#bad(key, `a duration like "90s", "5m", "6h" (from ${minMs} ms to ${maxMs / 86_400_000} d)`);
    return ms;
  }

  bool(key: string): boolean {
    const v = this.obj[key];
    if (typeof v !== "boolean") this.#bad(key, "true or false");
    return v;
  }

  str(key: string): string {
    const v = this.obj[key];
    if (typeof v !== "string") this.#bad(key, "a string");
    return v;
  }

  oneOf<T extends string>(key: string, options: readonly T[]): T {
    const v = this.obj[key];
    if (typeof v !== "string" || !options.includes(v as T)) this.#bad(key, `one of ${options.join(", ")}`);
    return v as T;
  }

  listOf<T extends string>(key: string, options: readonly T[], nonEmpty: boolean): T[] {
    const v = this.obj[key];
    if (!Array.isArray(v) || (nonEmpty && v.length === 0) || !v.every((x) => options.includes(x as T)) || new Set(v).size !== v.length) {
      this.#bad(key, `a list of distinct names from ${options.join(", ")}`);
    }
    return v as T[];
  }

  /** The object at `key`; `allowed` (the defaults) names its fields, or any when undefined. */
  sub(key: string, allowed: Json | undefined): Fields {
    const v = this.obj[key];
    if (!isObject(v)) this.#bad(key, "an object");
    return new Fields(v, this.at(key), allowed);
  }
}

/**
 * A scenario from a file's parsed JSON (or a named scenario's overrides). `named` resolves
 * "extends". Throws ScenarioError with a one-line reason.
 */
export function parseScenario(raw: unknown, named: (name: string) => Json | undefined): Scenario {
  if (!isObject(raw)) throw new ScenarioError("a scenario must be a JSON object");
  let base: unknown = DEFAULTS;
  if (raw.extends !== undefined) {
    const parent = typeof raw.extends === "string" ? named(raw.extends) : undefined;
    if (parent === undefined) throw new ScenarioError(`extends must name a built-in scenario, got ${quotedValue(raw.extends)}`);
    base = merge(DEFAULTS, parent);
  }
  const { extends: _extends, ...own } = raw;
  const top = new Fields(merge(base, own) as Json, "", DEFAULTS);

  const link = top.sub("link", DEFAULTS.link);
  const up = link.sub("up", DEFAULTS.link.up);
  const down = link.sub("down", DEFAULTS.link.down);
  const reboots = top.sub("reboots", DEFAULTS.reboots);
  const downtime = reboots.sub("downtime", DEFAULTS.reboots.downtime);
  const latency = top.sub("latency", DEFAULTS.latency);
  const workload = top.sub("workload", DEFAULTS.workload);
  const backend = top.sub("backend", DEFAULTS.backend);
  const kiosk = top.sub("kiosk", DEFAULTS.kiosk);
  const workbox = top.sub("workbox", DEFAULTS.workbox);
  const naive = top.sub("naive", DEFAULTS.naive);
  const durationMs = top.dur("duration", 60_000, 30 * 86_400_000);

  const scenario: Scenario = {
    name: top.str("name"),
    description: top.str("description"),
    devices: top.num("devices", 1, 10_000_000, true),
    durationMs,
    seed: top.num("seed", 0, 2 ** 53 - 1, true),
    policies: [],
    link: {
      upMeanMs: up.dur("mean", 1000),
      upShape: up.num("shape", 0.2, 10),
      downMedianMs: down.dur("median", 100),
      downP99Ms: down.dur("p99", 100),
      captive: link.num("captive", 0, 1),
    },
    stalls: top.obj.stalls === null ? null : parseStalls(top.sub("stalls", DEFAULTS.stalls!)),
    latency: { medianMs: latency.dur("median", 1, 60_000), p99Ms: latency.dur("p99", 1, 600_000) },
    reboots: {
      perDay: reboots.num("perDay", 0, 1000),
      downMedianMs: downtime.dur("median", 1000),
      downP99Ms: downtime.dur("p99", 1000),
      rtc: reboots.bool("rtc"),
      ntpSyncMs: reboots.dur("ntpSync"),
    },
    workload: { perHour: workload.num("perHour", 0, 3600), tags: workload.oneOf("tags", ["unique", "coalesce"] as const) },
    backend: {
      capacityPer1000: backend.num("capacityPer1000", 0.001, 1e9),
      errorRate: backend.num("errorRate", 0, 1),
      retryAfterMs: backend.dur("retryAfter", 1000, 86_400_000),
      admission: backend.num("admission", 0, 1),
      slots: backend.bool("slots"),
    },
    fleet: parseFleet(top, durationMs),
    kiosk: {
      require: kiosk.listOf("require", KIOSK_SIGNALS, false),
      settleMs: kiosk.obj.settle === "adaptive" ? undefined : kiosk.dur("settle", 0, 3_600_000),
      probeIntervalMs: kiosk.dur("probeInterval", 1000, 86_400_000),
    },
    workbox: { pageReloadMs: workbox.dur("pageReload"), maxRetentionMs: workbox.dur("maxRetention", 60_000) },
    naive: { delayMs: naive.dur("delay", 1, 86_400_000), maxAttempts: naive.num("maxAttempts", 1, 255, true) },
    extraPolicies: parseExtraPolicies(top.sub("extraPolicies", undefined)),
  };
  // Without a list of its own (or its parent's: merge keeps the defaults' very array), a
  // scenario runs every policy it defines.
  const listed = own.policies !== undefined || (base as Json).policies !== DEFAULTS.policies;
  scenario.policies = listed ? top.listOf("policies", policyNames(scenario), true) : policyNames(scenario);
  if (scenario.link.downP99Ms < scenario.link.downMedianMs) throw new ScenarioError("link.down.p99 must not be below link.down.median");
  if (scenario.latency.p99Ms < scenario.latency.medianMs) throw new ScenarioError("latency.p99 must not be below latency.median");
  if (scenario.reboots.downP99Ms < scenario.reboots.downMedianMs) throw new ScenarioError("reboots.downtime.p99 must not be below reboots.downtime.median");
  return scenario;
}

const EXTRA_POLICY_NAME = /^[a-z][a-z0-9-]{0,31}$/;

function parseExtraPolicies(extra: Fields): Record<string, ExtraPolicy> {
  const out: Record<string, ExtraPolicy> = {};
  for (const name of Object.keys(extra.obj)) {
    if (!EXTRA_POLICY_NAME.test(name) || (POLICY_NAMES as readonly string[]).includes(name)) {
      throw new ScenarioError(`extraPolicies: "${name}" must be a new name of lowercase letters, digits and dashes (not ${POLICY_NAMES.join(", ")})`);
    }
    const f = extra.sub(name, { preset: 0, policy: 0, online: 0, retryAfter: 0, admission: 0 });
    if (f.obj.preset === undefined) throw new ScenarioError(`${f.path} needs a preset (${PRESETS.join(", ")})`);
    out[name] = {
      preset: f.oneOf("preset", PRESETS),
      policy: f.obj.policy === undefined ? {} : parsePolicyOverrides(f.sub("policy", undefined)),
      online: f.obj.online === undefined ? "fused" : f.oneOf("online", ["link", "fused"] as const),
      retryAfter: f.obj.retryAfter === undefined ? true : f.bool("retryAfter"),
      admission: f.obj.admission === undefined ? false : f.bool("admission"),
    };
  }
  return out;
}

/** Names and types here; the core checks the ranges when the policy's fleet is built. */
function parsePolicyOverrides(policy: Fields): Partial<Policy> {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(policy.obj)) {
    if (!(POLICY_FIELDS as readonly string[]).includes(field))
      throw new ScenarioError(`unknown policy field ${policy.at(field)} (known: ${POLICY_FIELDS.join(", ")})`);
    if (field === "jitter") out[field] = policy.oneOf(field, JITTER_MODES);
    else if (field === "reregisterBypassesBackoff" || field === "periodicSnap") out[field] = policy.bool(field);
    else out[field] = policy.num(field, 0, Number.MAX_SAFE_INTEGER);
  }
  return out as Partial<Policy>;
}

function parseStalls(stalls: Fields): StallModel {
  const long = stalls.sub("long", (DEFAULTS.stalls as { long: Json }).long);
  const model: StallModel = {
    p: stalls.num("p", 0, 1),
    r: stalls.num("r", 1e-6, 1),
    stepMs: stalls.dur("step", 1, 10_000),
    longProbability: long.num("probability", 0, 1),
    longMinMs: long.dur("min", 1),
    longAlpha: long.num("alpha", 0.1, 10),
    longMaxMs: long.dur("max", 1),
  };
  if (model.longMaxMs < model.longMinMs) throw new ScenarioError("stalls.long.max must not be below stalls.long.min");
  return model;
}

function parseFleet(top: Fields, durationMs: number): FleetOutage[] {
  const list = top.obj.fleet;
  if (!Array.isArray(list)) throw new ScenarioError(`fleet must be a list of outages, got ${quotedValue(list)}`);
  return list
    .map((item, i) => {
      if (!isObject(item)) throw new ScenarioError(`fleet[${i}] must be an object like {"outage": "backend", "at": "6h", "for": "30m"}`);
      const f = new Fields(item, `fleet[${i}]`, { outage: 0, at: 0, for: 0, fraction: 0 });
      if (item.outage === undefined || item.at === undefined || item.for === undefined) throw new ScenarioError(`fleet[${i}] needs outage, at and for`);
      const kind = f.oneOf("outage", ["backend", "broker", "link"] as const);
      const fraction = item.fraction === undefined ? 1 : f.num("fraction", 0, 1);
      if (kind !== "link" && fraction !== 1) throw new ScenarioError(`fleet[${i}].fraction applies to link outages only`);
      return { kind, atMs: f.dur("at"), forMs: f.dur("for", 1000), fraction };
    })
    .filter((o) => o.atMs < durationMs); // past the end of a shortened run they do not happen
}

/** The scenario in its file form (what --print-scenario writes; parseScenario reads it back). */
export function scenarioToJson(s: Scenario): Json {
  const d = formatDuration;
  return {
    name: s.name,
    description: s.description,
    devices: s.devices,
    duration: d(s.durationMs),
    seed: s.seed,
    policies: s.policies,
    link: {
      up: { mean: d(s.link.upMeanMs), shape: s.link.upShape },
      down: { median: d(s.link.downMedianMs), p99: d(s.link.downP99Ms) },
      captive: s.link.captive,
    },
    stalls: s.stalls && {
      p: s.stalls.p,
      r: s.stalls.r,
      step: d(s.stalls.stepMs),
      long: { probability: s.stalls.longProbability, min: d(s.stalls.longMinMs), alpha: s.stalls.longAlpha, max: d(s.stalls.longMaxMs) },
    },
    latency: { median: d(s.latency.medianMs), p99: d(s.latency.p99Ms) },
    reboots: {
      perDay: s.reboots.perDay,
      downtime: { median: d(s.reboots.downMedianMs), p99: d(s.reboots.downP99Ms) },
      rtc: s.reboots.rtc,
      ntpSync: d(s.reboots.ntpSyncMs),
    },
    workload: { ...s.workload },
    backend: {
      capacityPer1000: s.backend.capacityPer1000,
      errorRate: s.backend.errorRate,
      retryAfter: d(s.backend.retryAfterMs),
      admission: s.backend.admission,
      slots: s.backend.slots,
    },
    fleet: s.fleet.map((f) => ({ outage: f.kind, at: d(f.atMs), for: d(f.forMs), ...(f.kind === "link" ? { fraction: f.fraction } : {}) })),
    kiosk: { require: s.kiosk.require, settle: s.kiosk.settleMs === undefined ? "adaptive" : d(s.kiosk.settleMs), probeInterval: d(s.kiosk.probeIntervalMs) },
    workbox: { pageReload: d(s.workbox.pageReloadMs), maxRetention: d(s.workbox.maxRetentionMs) },
    naive: { delay: d(s.naive.delayMs), maxAttempts: s.naive.maxAttempts },
    extraPolicies: s.extraPolicies,
  };
}
