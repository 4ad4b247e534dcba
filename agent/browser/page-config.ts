// The page script's configuration: an object in `globalThis.syncwardConfig`, set by a
// script that runs before /syncward/page.js. Everything is optional; with nothing set the
// polyfill installs where the API is missing or disabled, uses the `chromium` preset, and
// counts as online unless navigator.onLine says offline. A bad field is reported in one
// line and left at its default: a typo must not take the page down.
//
//   <script>
//     syncwardConfig = {
//       probe: "/health",                        // or { url, expectedStatus, intervalMs, … }
//       mqtt: { url: "wss://broker.example/mqtt", backendStatus: { topic: "spBv1.0/STATE/backend" },
//               admission: { topic: "backend/admission" } },   // or just the topic
//       preset: "kiosk", policy: { maxAttempts: 5 },
//       permissions: { periodicBackgroundSync: "denied" },
//       bridge: "/syncward/bridge.json",          // or { url: "ws://127.0.0.1:8765/syncward/bridge", token }
//     };
//   </script>

import { JITTER_MODES, POLICY_FIELDS, PRESETS, type Policy, type Preset } from "../../wasm-core/binding/policy.js";
import type { SignalName } from "../connectivity/fusion.js";
import { RequireError, requiredSignals } from "../connectivity/required-signals.js";
import type { ProbeOptions } from "../reachability-probe.js";

/** MQTT over WebSocket: the options of the connectivity engineer's MqttLink, minus its ports. */
export interface PageMqttOptions {
  /** ws:// or wss:// */
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  deviceStatus?: { topic: string; ttlMs?: number };
  backendStatus?: { topic: string; ttlMs?: number };
  /** The backend's admission topic (README, "What the backend can take"), as the device agent's `mqtt.admission`: the page's Agent paces its events at its share. */
  admission?: { topic: string; ttlMs?: number };
  keepaliveSeconds?: number;
}

/** The device agent's page bridge: its address and token, or a same-origin URL that answers them as JSON. */
export type PageBridgeConfig = { url: string; token: string } | { from: string };

export interface PageConfig {
  /** "auto" (default): only where the API is missing or disabled. "force": always, also over a working native API. */
  mode: "auto" | "force";
  preset: Preset;
  policy: Partial<Policy>;
  seed: number | undefined;
  probe: ProbeOptions | undefined;
  mqtt: PageMqttOptions | undefined;
  /** Signals that must be good for online. Default: every configured one (probe, broker, status topics). */
  require: SignalName[];
  /** A fixed hysteresis before online. Default: adaptive when a signal is required (fusion.ts), else 0. */
  settleMs: number | undefined;
  /** Print the Background Services log (Chromium's words) to the console. */
  log: boolean;
  /**
   * The "background-sync" and "periodic-background-sync" permissions (register() rejects
   * NotAllowedError without). Default: both granted; Chromium grants periodic sync to
   * installed web apps only, which a kiosk's app is.
   */
  permissions: { backgroundSync: boolean; periodicBackgroundSync: boolean };
  /**
   * The device's `syncward agent` (README, "The device agent decides"): while the leader tab
   * is connected to it, the agent owns the origin's registrations and decides when they fire.
   */
  bridge: PageBridgeConfig | undefined;
}

const FIELDS = ["mode", "preset", "policy", "seed", "probe", "mqtt", "require", "settleMs", "log", "permissions", "bridge"];
const PERMISSIONS = ["backgroundSync", "periodicBackgroundSync"] as const;
const BOOLEAN_POLICY: readonly (keyof Policy)[] = ["reregisterBypassesBackoff", "periodicSnap"];

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isMs = (x: unknown): x is number => typeof x === "number" && x >= 0 && x < Infinity;

function policyOf(raw: unknown, problem: (line: string) => void): Partial<Policy> {
  if (!isRecord(raw)) {
    problem("policy must be an object of policy fields");
    return {};
  }
  const policy: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(raw)) {
    const key = field as keyof Policy;
    if (!POLICY_FIELDS.includes(key)) problem(`unknown policy field "${field}"`);
    else if (
      key === "jitter" ? !JITTER_MODES.includes(value as never) : BOOLEAN_POLICY.includes(key) ? typeof value !== "boolean" : typeof value !== "number"
    ) {
      problem(`policy field ${field} has a bad value ${JSON.stringify(value)}`);
    } else policy[field] = value;
  }
  return policy as Partial<Policy>;
}

function probeOf(raw: unknown, base: string, problem: (line: string) => void): ProbeOptions | undefined {
  const options = typeof raw === "string" ? { url: raw } : raw;
  if (!isRecord(options) || typeof options.url !== "string") {
    problem("probe must be a URL or { url, expectedStatus?, timeoutMs?, intervalMs?, maxIntervalMs? }");
    return undefined;
  }
  const probe: ProbeOptions = { url: new URL(options.url, base).href };
  for (const field of ["expectedStatus", "timeoutMs", "intervalMs", "maxIntervalMs"] as const) {
    if (options[field] === undefined) continue;
    if (isMs(options[field])) probe[field] = options[field];
    else problem(`probe.${field} must be a non-negative number`);
  }
  return probe;
}

function mqttOf(raw: unknown, base: string, problem: (line: string) => void): PageMqttOptions | undefined {
  if (!isRecord(raw) || typeof raw.url !== "string") {
    problem('mqtt must be { url: "wss://…", deviceStatus?, backendStatus?, … }');
    return undefined;
  }
  const url = new URL(raw.url, base);
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    problem(`mqtt.url must be ws:// or wss:// in a page, got ${url.protocol}`);
    return undefined;
  }
  const { admission, ...rest } = raw as unknown as PageMqttOptions;
  const mqtt: PageMqttOptions = { ...rest, url: url.href };
  if (admission !== undefined) {
    const checked = admissionOf(admission, problem);
    if (checked) mqtt.admission = checked;
  }
  return mqtt;
}

/** The admission topic as the device agent's config takes it: a topic, or { topic, ttlMs? }. */
function admissionOf(raw: unknown, problem: (line: string) => void): PageMqttOptions["admission"] {
  const entry = typeof raw === "string" ? { topic: raw } : raw;
  if (!isRecord(entry) || typeof entry.topic !== "string" || Object.keys(entry).some((k) => k !== "topic" && k !== "ttlMs")) {
    problem(`mqtt.admission must be a topic or { topic, ttlMs? }, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  // The link matches the topic of each message exactly: a filter with wildcards would never apply.
  if (entry.topic === "" || /[+#]/.test(entry.topic) || entry.topic.includes("\0")) {
    problem(`mqtt.admission.topic must be one MQTT topic, without the wildcards + and #, got ${JSON.stringify(entry.topic)}`);
    return undefined;
  }
  if (entry.ttlMs === undefined) return { topic: entry.topic };
  if (typeof entry.ttlMs === "number" && entry.ttlMs > 0 && entry.ttlMs < Infinity) return { topic: entry.topic, ttlMs: entry.ttlMs };
  problem(`mqtt.admission.ttlMs must be a positive number of milliseconds, got ${JSON.stringify(entry.ttlMs)}`);
  return undefined;
}

/** A bridge's WebSocket URL, resolved against the page (an http: base becomes ws:). */
export function bridgeUrl(value: string, base: string): string | undefined {
  const url = new URL(value, base);
  if (url.protocol === "http:" || url.protocol === "https:") url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  return url.protocol === "ws:" || url.protocol === "wss:" ? url.href : undefined;
}

function bridgeOf(raw: unknown, base: string, problem: (line: string) => void): PageBridgeConfig | undefined {
  if (typeof raw === "string") return { from: new URL(raw, base).href };
  if (isRecord(raw) && typeof raw.url === "string" && typeof raw.token === "string" && raw.token !== "") {
    const url = bridgeUrl(raw.url, base);
    if (url) return { url, token: raw.token };
  }
  problem('bridge must be a URL of its JSON ("/syncward/bridge.json") or { url: "ws://127.0.0.1:PORT/syncward/bridge", token }');
  return undefined;
}

/** Read `raw` (globalThis.syncwardConfig); relative URLs resolve against `base`. */
export function readPageConfig(raw: unknown, base: string, problem: (line: string) => void): PageConfig {
  const config: PageConfig = {
    mode: "auto",
    preset: "chromium",
    policy: {},
    seed: undefined,
    probe: undefined,
    mqtt: undefined,
    require: [],
    settleMs: undefined,
    log: false,
    permissions: { backgroundSync: true, periodicBackgroundSync: true },
    bridge: undefined,
  };
  if (raw === undefined || raw === null) return config;
  if (!isRecord(raw)) {
    problem("syncwardConfig must be an object; using the defaults");
    return config;
  }
  for (const field of Object.keys(raw)) if (!FIELDS.includes(field)) problem(`unknown config field "${field}"`);
  const bad = (field: string, expected: string) => problem(`${field} must be ${expected}, got ${JSON.stringify(raw[field])}`);
  if (raw.mode !== undefined) {
    if (raw.mode === "auto" || raw.mode === "force") config.mode = raw.mode;
    else bad("mode", '"auto" or "force"');
  }
  if (raw.preset !== undefined) {
    if (PRESETS.includes(raw.preset as Preset)) config.preset = raw.preset as Preset;
    else bad("preset", PRESETS.join(" or "));
  }
  if (raw.policy !== undefined) config.policy = policyOf(raw.policy, problem);
  if (raw.seed !== undefined) {
    if (Number.isSafeInteger(raw.seed)) config.seed = raw.seed as number;
    else bad("seed", "an integer");
  }
  try {
    if (raw.probe !== undefined) config.probe = probeOf(raw.probe, base, problem);
    if (raw.mqtt !== undefined) config.mqtt = mqttOf(raw.mqtt, base, problem);
    if (raw.bridge !== undefined) config.bridge = bridgeOf(raw.bridge, base, problem);
  } catch (error) {
    problem(`a URL in syncwardConfig is not valid: ${(error as Error).message}`);
  }
  if (raw.settleMs !== undefined) {
    if (isMs(raw.settleMs)) config.settleMs = raw.settleMs;
    else bad("settleMs", "a non-negative number");
  }
  if (raw.log !== undefined) {
    if (typeof raw.log === "boolean") config.log = raw.log;
    else bad("log", "true or false");
  }
  if (raw.permissions !== undefined) {
    const given = raw.permissions;
    if (
      isRecord(given) &&
      Object.keys(given).every((k) => (PERMISSIONS as readonly string[]).includes(k) && (given[k] === "granted" || given[k] === "denied"))
    ) {
      for (const name of PERMISSIONS) if (given[name] !== undefined) config.permissions[name] = given[name] === "granted";
    } else bad("permissions", `{ ${PERMISSIONS.map((p) => `${p}?: "granted" | "denied"`).join(", ")} }`);
  }
  try {
    config.require = requiredSignals(config, raw.require);
  } catch (error) {
    if (!(error instanceof RequireError)) throw error;
    problem(`require ${error.message}; requiring every configured signal`);
    config.require = requiredSignals(config, undefined);
  }
  return config;
}
