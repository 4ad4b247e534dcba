// `syncward agent` configuration: a JSON file, then flags on top. Every problem is one line
// naming the field, so a kiosk integrator sees at once what to fix.

import { homedir, hostname } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { PRESETS, POLICY_FIELDS, type Policy, type Preset } from "../core/policy.js";
import type { ProbeOptions } from "../reachability-probe.js";
import { SIGNAL_NAMES, type SignalName } from "../connectivity/fusion.js";
import type { ReconnectBackoffOptions } from "../connectivity/reconnect-backoff.js";
import type { DeviceStatusFormat } from "../connectivity/status-payload.js";
import { defaultControlPath } from "./control-socket.js";
import { EMBEDDED_BROKER_PORT } from "./embedded-broker.js";
import { quotedValue } from "../quoted-value.js";
import { workerLimits, type ServiceWorkerLimits } from "./service-worker-version.js";

export interface ServiceWorkerConfig {
  /** Path of the service worker script. */
  script: string;
  /** Scope URL of its registration, e.g. http://localhost:8080/ */
  scope: string;
  /** A probe of this origin's backend: the scope is online only while it succeeds (and the device is online). */
  probe?: ProbeOptions;
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
  /** undefined: no MQTT at all (`"mqtt": false`, `--no-mqtt`). */
  mqtt: MqttConfig | undefined;
  connectivity: { require: SignalName[] | undefined; settleMs: number | undefined };
  /** Time limits of the workers' start, install and activate, and how long a stuck thread may stay silent. */
  workerLimits: ServiceWorkerLimits;
}

export interface MqttConfig {
  /** undefined: start the embedded broker on 127.0.0.1:brokerPort and use it. */
  url: string | undefined;
  brokerPort: number;
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  /** Read at start; the SYNCWARD_MQTT_PASSWORD environment variable is the other way. */
  passwordFile: string | undefined;
  /** PEM files. */
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  /** Accept any server certificate (testing only). */
  insecure: boolean;
  protocolVersion: 4 | 5;
  keepaliveSeconds: number;
  sessionExpirySeconds: number;
  deviceStatus: (DeviceStatusFormat & { topic: string; ttlMs?: number }) | undefined;
  backendStatus: { topic: string; ttlMs?: number } | undefined;
  presenceTopic: string | undefined;
  willDelaySeconds: number;
  summaryTopic: string | undefined;
  backoff: ReconnectBackoffOptions;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Under systemd's StateDirectory= ($STATE_DIRECTORY, its first entry), else the user's XDG state. */
export function defaultStorePath(): string {
  const service = process.env.STATE_DIRECTORY?.split(":")[0];
  if (service) return join(service, "registrations");
  const state = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(state, "syncward", "registrations");
}

/**
 * The config file read when the command line names neither a config nor a worker: under
 * systemd's ConfigurationDirectory= ($CONFIGURATION_DIRECTORY), else /etc/syncward/agent.json.
 */
export function defaultConfigPath(): string {
  const service = process.env.CONFIGURATION_DIRECTORY?.split(":")[0];
  return join(service || "/etc/syncward", "agent.json");
}

const KEYS = ["preset", "policy", "store", "serviceWorkers", "windowClient", "probe", "log", "control", "seed", "mqtt", "connectivity", "workerLimits"];
const WORKER_LIMIT_KEYS = ["startMs", "installMs", "activateMs", "unresponsiveMs"] as const;
const PROBE_KEYS = ["url", "expectedStatus", "expectedBody", "timeoutMs", "intervalMs", "maxIntervalMs", "minTriggerGapMs"];
const MQTT_KEYS = ["url", "brokerPort", "clientId", "username", "password", "passwordFile", "ca", "cert", "key", "insecure", "protocolVersion",
  "keepaliveSeconds", "sessionExpirySeconds", "deviceStatus", "backendStatus", "presenceTopic", "willDelaySeconds", "summaryTopic", "backoff"];
const MQTT_SCHEMES = ["mqtt:", "mqtts:", "ws:", "wss:", "tcp:", "ssl:"];

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
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") fail(`${field} must be an http(s) URL, got ${quotedValue(value)}`);
    return parsed.href;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail(`${field} is not a valid URL: ${quotedValue(value)}`);
  }
}

function positive(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) fail(`${field} must be a positive number of milliseconds`);
  return value;
}

function count(value: unknown, field: string, unit: string, max = 2 ** 32 - 1): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) fail(`${field} must be a whole number of ${unit} from 0 to ${max}`);
  return value as number;
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") fail(`${field} must be a non-empty string`);
  return value;
}

function known(object: Record<string, unknown>, keys: string[], field: string): void {
  for (const key of Object.keys(object)) if (!keys.includes(key)) fail(`unknown ${field} field ${quotedValue(key)} (known: ${keys.join(", ")})`);
}

/** An MQTT topic a status is read from or published to: no wildcards, no NUL. */
function topic(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") fail(`${field} must be an MQTT topic`);
  if (/[+#\u0000]/.test(value)) fail(`${field} must be one topic, without the wildcards + and # (got "${value}")`);
  if (new TextEncoder().encode(value).length > 65535) fail(`${field} is longer than an MQTT topic may be`);
  return value;
}

function mqttUrl(value: unknown, field: string): string {
  if (typeof value !== "string") fail(`${field} must be a broker URL such as mqtt://host:1883`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    fail(`${field} is not a valid URL: ${quotedValue(value)}`);
  }
  if (!MQTT_SCHEMES.includes(parsed.protocol)) fail(`${field} must be an mqtt://, mqtts://, ws:// or wss:// URL, got ${quotedValue(value)}`);
  if (parsed.hostname === "") fail(`${field} has no host: ${quotedValue(value)}`);
  return value;
}

/** The default MQTT client id: this host's name, which a fleet already keeps unique. */
export function defaultClientId(): string {
  return `syncward-${hostname().replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 64);
}

function parseMqtt(raw: unknown, path: (p: unknown, field: string) => string): MqttConfig | undefined {
  if (raw === false) return undefined;
  const m = raw === undefined ? {} : typeof raw === "string" ? { url: raw } : raw;
  if (!isRecord(m)) fail("mqtt must be false, a broker URL, or an object {url, deviceStatus, backendStatus, …}");
  known(m, MQTT_KEYS, "mqtt");
  const url = m.url === undefined ? undefined : mqttUrl(m.url, "mqtt.url");
  if (url !== undefined && m.brokerPort !== undefined) fail("mqtt.brokerPort is the embedded broker's port; it cannot go with mqtt.url");
  const clientId = m.clientId === undefined ? defaultClientId() : text(m.clientId, "mqtt.clientId");
  if (clientId.length > 65535) fail("mqtt.clientId is too long");
  if (m.password !== undefined && m.passwordFile !== undefined) fail("mqtt.password and mqtt.passwordFile exclude each other");
  if (m.insecure !== undefined && typeof m.insecure !== "boolean") fail("mqtt.insecure must be true or false");
  const protocolVersion = m.protocolVersion ?? 5;
  if (protocolVersion !== 4 && protocolVersion !== 5) fail("mqtt.protocolVersion must be 4 (MQTT 3.1.1) or 5");

  let deviceStatus: MqttConfig["deviceStatus"];
  if (m.deviceStatus !== undefined) {
    const d = typeof m.deviceStatus === "string" ? { topic: m.deviceStatus } : m.deviceStatus;
    if (!isRecord(d)) fail("mqtt.deviceStatus must be a topic or {topic, onlineWord, offlineWord, ttlMs, fields}");
    known(d, ["topic", "onlineWord", "offlineWord", "ttlMs", "fields"], "mqtt.deviceStatus");
    deviceStatus = { topic: topic(d.topic, "mqtt.deviceStatus.topic") };
    if (d.onlineWord !== undefined) deviceStatus.onlineWord = text(d.onlineWord, "mqtt.deviceStatus.onlineWord").trim();
    if (d.offlineWord !== undefined) deviceStatus.offlineWord = text(d.offlineWord, "mqtt.deviceStatus.offlineWord").trim();
    if ((deviceStatus.onlineWord ?? "online").toLowerCase() === (deviceStatus.offlineWord ?? "offline").toLowerCase()) fail("mqtt.deviceStatus: onlineWord and offlineWord must differ");
    if (d.ttlMs !== undefined) deviceStatus.ttlMs = positive(d.ttlMs, "mqtt.deviceStatus.ttlMs");
    if (d.fields !== undefined) {
      if (!isRecord(d.fields)) fail("mqtt.deviceStatus.fields must be an object {online, metered, onBattery, timestamp}");
      known(d.fields, ["online", "metered", "onBattery", "timestamp"], "mqtt.deviceStatus.fields");
      const fields: NonNullable<DeviceStatusFormat["fields"]> = {};
      for (const [key, value] of Object.entries(d.fields)) fields[key as keyof typeof fields] = text(value, `mqtt.deviceStatus.fields.${key}`);
      deviceStatus.fields = fields;
    }
  }
  let backendStatus: MqttConfig["backendStatus"];
  if (m.backendStatus !== undefined) {
    const b = typeof m.backendStatus === "string" ? { topic: m.backendStatus } : m.backendStatus;
    if (!isRecord(b)) fail("mqtt.backendStatus must be a topic or {topic, ttlMs}");
    known(b, ["topic", "ttlMs"], "mqtt.backendStatus");
    backendStatus = { topic: topic(b.topic, "mqtt.backendStatus.topic") };
    if (b.ttlMs !== undefined) backendStatus.ttlMs = positive(b.ttlMs, "mqtt.backendStatus.ttlMs");
  }
  const optionalTopic = (value: unknown, field: string, fallback: string) => (value === false ? undefined : value === undefined ? fallback : topic(value, field));

  const backoff: ReconnectBackoffOptions = {};
  if (m.backoff !== undefined) {
    if (!isRecord(m.backoff)) fail("mqtt.backoff must be an object {initialMs, multiplier, jitter, maxMs, minConnectTimeoutMs}");
    known(m.backoff, ["initialMs", "multiplier", "jitter", "maxMs", "minConnectTimeoutMs"], "mqtt.backoff");
    for (const key of ["initialMs", "maxMs", "minConnectTimeoutMs"] as const) if (m.backoff[key] !== undefined) backoff[key] = positive(m.backoff[key], `mqtt.backoff.${key}`);
    const { multiplier, jitter } = m.backoff;
    if (multiplier !== undefined && (typeof multiplier !== "number" || !(multiplier >= 1 && multiplier <= 10))) fail("mqtt.backoff.multiplier must be a number from 1 to 10");
    if (jitter !== undefined && (typeof jitter !== "number" || !(jitter >= 0 && jitter < 1))) fail("mqtt.backoff.jitter must be a number from 0 up to (not including) 1");
    if (multiplier !== undefined) backoff.multiplier = multiplier as number;
    if (jitter !== undefined) backoff.jitter = jitter as number;
    if ((backoff.maxMs ?? 120_000) < (backoff.initialMs ?? 1000)) fail("mqtt.backoff.maxMs must not be below mqtt.backoff.initialMs");
  }

  return {
    url,
    brokerPort: m.brokerPort === undefined ? EMBEDDED_BROKER_PORT : count(m.brokerPort, "mqtt.brokerPort", "a TCP port (0: any free port)", 65535),
    clientId,
    username: m.username === undefined ? undefined : text(m.username, "mqtt.username"),
    password: m.password === undefined ? undefined : text(m.password, "mqtt.password"),
    passwordFile: m.passwordFile === undefined ? undefined : path(m.passwordFile, "mqtt.passwordFile"),
    ca: m.ca === undefined ? undefined : path(m.ca, "mqtt.ca"),
    cert: m.cert === undefined ? undefined : path(m.cert, "mqtt.cert"),
    key: m.key === undefined ? undefined : path(m.key, "mqtt.key"),
    insecure: (m.insecure as boolean | undefined) ?? false,
    protocolVersion,
    keepaliveSeconds: m.keepaliveSeconds === undefined ? 30 : count(m.keepaliveSeconds, "mqtt.keepaliveSeconds", "seconds", 65535),
    sessionExpirySeconds: m.sessionExpirySeconds === undefined ? 0 : count(m.sessionExpirySeconds, "mqtt.sessionExpirySeconds", "seconds"),
    deviceStatus,
    backendStatus,
    presenceTopic: optionalTopic(m.presenceTopic, "mqtt.presenceTopic", `syncward/${clientId}/presence`),
    willDelaySeconds: m.willDelaySeconds === undefined ? 0 : count(m.willDelaySeconds, "mqtt.willDelaySeconds", "seconds"),
    summaryTopic: optionalTopic(m.summaryTopic, "mqtt.summaryTopic", `syncward/${clientId}/summary`),
    backoff,
  };
}

function parseProbe(raw: unknown, field: string): ProbeOptions {
  const p = typeof raw === "string" ? { url: raw } : raw;
  if (!isRecord(p)) fail(`${field} must be a URL or {url, expectedStatus, expectedBody, timeoutMs, intervalMs, maxIntervalMs, minTriggerGapMs}`);
  for (const key of Object.keys(p)) if (!PROBE_KEYS.includes(key)) fail(`unknown ${field} field ${quotedValue(key)}`);
  const probe: ProbeOptions = { url: url(p.url, `${field}.url`) };
  if (p.expectedStatus !== undefined) {
    if (!Number.isInteger(p.expectedStatus) || (p.expectedStatus as number) < 100 || (p.expectedStatus as number) > 599) fail(`${field}.expectedStatus must be an HTTP status (100-599)`);
    probe.expectedStatus = p.expectedStatus as number;
  }
  if (p.expectedBody !== undefined) {
    if (typeof p.expectedBody !== "string") fail(`${field}.expectedBody must be a string, e.g. "OK"`);
    if ([204, 304].includes(probe.expectedStatus ?? 200)) fail(`${field}.expectedBody cannot go with expectedStatus ${probe.expectedStatus}: that answer has no body`);
    probe.expectedBody = p.expectedBody;
  }
  for (const key of ["timeoutMs", "intervalMs", "maxIntervalMs", "minTriggerGapMs"] as const) if (p[key] !== undefined) probe[key] = positive(p[key], `${field}.${key}`);
  return probe;
}

function parseConnectivity(raw: unknown, mqtt: MqttConfig | undefined, probe: ProbeOptions | undefined): AgentConfig["connectivity"] {
  const c = raw ?? {};
  if (!isRecord(c)) fail("connectivity must be an object {require, settleMs}");
  known(c, ["require", "settleMs"], "connectivity");
  let require: SignalName[] | undefined;
  if (c.require !== undefined) {
    if (!Array.isArray(c.require)) fail("connectivity.require must be an array of signal names");
    require = c.require.map((name: unknown) => {
      if (name === "navigatorOnLine") fail("connectivity.require cannot name navigatorOnLine: it is evidence of offline only, and only in a page");
      if (!SIGNAL_NAMES.includes(name as SignalName)) fail(`connectivity.require: unknown signal ${quotedValue(name)} (known: probe, broker, deviceStatus, backendStatus)`);
      return name as SignalName;
    });
    const configured: Record<string, boolean> = { probe: probe !== undefined, broker: mqtt !== undefined, deviceStatus: mqtt?.deviceStatus !== undefined, backendStatus: mqtt?.backendStatus !== undefined };
    for (const name of require) if (!configured[name]) fail(`connectivity.require names ${name}, which is not configured`);
  }
  let settleMs: number | undefined;
  if (c.settleMs !== undefined) {
    if (typeof c.settleMs !== "number" || !Number.isFinite(c.settleMs) || c.settleMs < 0) fail("connectivity.settleMs must be a non-negative number of milliseconds");
    settleMs = c.settleMs;
  }
  return { require, settleMs };
}

function parseWorkerLimits(raw: unknown): ServiceWorkerLimits {
  const l = raw ?? {};
  if (!isRecord(l)) fail(`workerLimits must be an object {${WORKER_LIMIT_KEYS.join(", ")}}`);
  known(l, [...WORKER_LIMIT_KEYS], "workerLimits");
  try {
    workerLimits(l);
  } catch (error) {
    fail((error as RangeError).message);
  }
  return l as ServiceWorkerLimits;
}

/** Validate a parsed JSON config; relative paths are taken from `baseDir`. */
export function parseConfig(raw: unknown, baseDir: string): AgentConfig {
  if (!isRecord(raw)) fail("the config must be a JSON object");
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) fail(`unknown config field ${quotedValue(key)} (known: ${KEYS.join(", ")})`);
  const path = (p: unknown, field: string) => {
    if (typeof p !== "string" || p === "") fail(`${field} must be a non-empty path`);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };

  const preset = raw.preset ?? "chromium";
  if (!PRESETS.includes(preset as Preset)) fail(`preset must be one of ${PRESETS.join(", ")}, got ${quotedValue(preset)}`);

  const policy = raw.policy ?? {};
  if (!isRecord(policy)) fail("policy must be an object of policy fields");
  for (const key of Object.keys(policy)) if (!POLICY_FIELDS.includes(key as keyof Policy)) fail(`unknown policy field ${quotedValue(key)}`);

  const workers = raw.serviceWorkers ?? [];
  if (!Array.isArray(workers)) fail("serviceWorkers must be an array of {script, scope}");
  const serviceWorkers = workers.map((w: unknown, i) => {
    if (!isRecord(w)) fail(`serviceWorkers[${i}] must be an object {script, scope}`);
    known(w, ["script", "scope", "probe"], `serviceWorkers[${i}]`);
    const worker: ServiceWorkerConfig = { script: path(w.script, `serviceWorkers[${i}].script`), scope: url(w.scope, `serviceWorkers[${i}].scope`) };
    if (w.probe !== undefined) worker.probe = parseProbe(w.probe, `serviceWorkers[${i}].probe`);
    return worker;
  });
  const scopes = new Set(serviceWorkers.map((w) => w.scope));
  if (scopes.size !== serviceWorkers.length) fail("serviceWorkers has two workers for one scope");

  const probe = raw.probe === undefined ? undefined : parseProbe(raw.probe, "probe");

  const log = raw.log ?? "text";
  if (log !== "text" && log !== "json") fail(`log must be "text" or "json", got ${quotedValue(log)}`);
  if (raw.windowClient !== undefined && typeof raw.windowClient !== "boolean") fail("windowClient must be true or false");
  if (raw.seed !== undefined && (!Number.isInteger(raw.seed) || (raw.seed as number) < 0)) fail("seed must be a non-negative integer");
  const mqtt = parseMqtt(raw.mqtt, path);
  const connectivity = parseConnectivity(raw.connectivity, mqtt, probe);

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
    mqtt,
    connectivity,
    workerLimits: parseWorkerLimits(raw.workerLimits),
  };
}
