// `syncward agent` configuration: a JSON file, then flags on top. Every problem is one line
// naming the field, so a kiosk integrator sees at once what to fix.

import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { PRESETS, POLICY_FIELDS, type Policy, type Preset } from "../core/policy.js";
import type { ProbeOptions } from "../reachability-probe.js";
import { defaultControlPath } from "./control-socket.js";

export interface ServiceWorkerConfig {
  /** Path of the service worker script. */
  script: string;
  /** Scope URL of its registration, e.g. http://localhost:8080/ */
  scope: string;
}

export interface AgentConfig {
  preset: Preset;
  policy: Partial<Policy>;
  /** Base path of the store files. */
  store: string;
  serviceWorkers: ServiceWorkerConfig[];
  /** Whether a window client of the origin is open (the kiosk page): register() needs one. */
  windowClient: boolean;
  probe: ProbeOptions | undefined;
  log: "text" | "json";
  control: string;
  seed: number | undefined;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function defaultStorePath(): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(state, "syncward", "registrations");
}

const KEYS = ["preset", "policy", "store", "serviceWorkers", "windowClient", "probe", "log", "control", "seed"];

function fail(message: string): never {
  throw new ConfigError(message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function url(value: unknown, field: string): string {
  if (typeof value !== "string") fail(`${field} must be a URL string`);
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") fail(`${field} must be an http(s) URL, got ${value}`);
    return parsed.href;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail(`${field} is not a valid URL: ${value}`);
  }
}

function positive(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) fail(`${field} must be a positive number of milliseconds`);
  return value;
}

/** Validate a parsed JSON config; relative paths are taken from `baseDir`. */
export function parseConfig(raw: unknown, baseDir: string): AgentConfig {
  if (!isRecord(raw)) fail("the config must be a JSON object");
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) fail(`unknown config field "${key}" (known: ${KEYS.join(", ")})`);
  const path = (p: unknown, field: string) => {
    if (typeof p !== "string" || p === "") fail(`${field} must be a non-empty path`);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };

  const preset = raw.preset ?? "chromium";
  if (!PRESETS.includes(preset as Preset)) fail(`preset must be one of ${PRESETS.join(", ")}, got ${JSON.stringify(preset)}`);

  const policy = raw.policy ?? {};
  if (!isRecord(policy)) fail("policy must be an object of policy fields");
  for (const key of Object.keys(policy)) if (!POLICY_FIELDS.includes(key as keyof Policy)) fail(`unknown policy field "${key}"`);

  const workers = raw.serviceWorkers ?? [];
  if (!Array.isArray(workers)) fail("serviceWorkers must be an array of {script, scope}");
  const serviceWorkers = workers.map((w: unknown, i) => {
    if (!isRecord(w)) fail(`serviceWorkers[${i}] must be an object {script, scope}`);
    return { script: path(w.script, `serviceWorkers[${i}].script`), scope: url(w.scope, `serviceWorkers[${i}].scope`) };
  });
  const scopes = new Set(serviceWorkers.map((w) => w.scope));
  if (scopes.size !== serviceWorkers.length) fail("serviceWorkers has two workers for one scope");

  let probe: ProbeOptions | undefined;
  if (raw.probe !== undefined) {
    const p = typeof raw.probe === "string" ? { url: raw.probe } : raw.probe;
    if (!isRecord(p)) fail("probe must be a URL or {url, expectedStatus, timeoutMs, intervalMs, maxIntervalMs}");
    for (const key of Object.keys(p)) if (!["url", "expectedStatus", "timeoutMs", "intervalMs", "maxIntervalMs"].includes(key)) fail(`unknown probe field "${key}"`);
    probe = { url: url(p.url, "probe.url") };
    if (p.expectedStatus !== undefined) {
      if (!Number.isInteger(p.expectedStatus) || (p.expectedStatus as number) < 100 || (p.expectedStatus as number) > 599) fail("probe.expectedStatus must be an HTTP status (100-599)");
      probe.expectedStatus = p.expectedStatus as number;
    }
    for (const key of ["timeoutMs", "intervalMs", "maxIntervalMs"] as const) if (p[key] !== undefined) probe[key] = positive(p[key], `probe.${key}`);
  }

  const log = raw.log ?? "text";
  if (log !== "text" && log !== "json") fail(`log must be "text" or "json", got ${JSON.stringify(log)}`);
  if (raw.windowClient !== undefined && typeof raw.windowClient !== "boolean") fail("windowClient must be true or false");
  if (raw.seed !== undefined && (!Number.isInteger(raw.seed) || (raw.seed as number) < 0)) fail("seed must be a non-negative integer");

  return {
    preset: preset as Preset,
    policy: policy as Partial<Policy>,
    store: raw.store === undefined ? defaultStorePath() : path(raw.store, "store"),
    serviceWorkers,
    windowClient: (raw.windowClient as boolean | undefined) ?? true,
    probe,
    log,
    control: raw.control === undefined ? defaultControlPath() : path(raw.control, "control"),
    seed: raw.seed as number | undefined,
  };
}
