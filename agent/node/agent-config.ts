// `syncward agent` configuration: a JSON file, then flags on top, checked against the config's
// JSON Schema (config-schema.ts) and then for what a schema cannot say. Every problem is one
// line naming the field, so a kiosk integrator sees at once what to fix.

import { homedir, hostname } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Policy, Preset } from "../../wasm-core/binding/policy.js";
import type { ProbeOptions } from "../reachability-probe.js";
import type { SignalName } from "../connectivity/fusion.js";
import { RequireError, requiredSignals } from "../connectivity/required-signals.js";
import type { ReconnectBackoffOptions } from "../connectivity/reconnect-backoff.js";
import type { DeviceStatusFormat } from "../connectivity/status-payload.js";
import { defaultControlPath } from "./control-socket.js";
import { quotedValue } from "../quoted-value.js";
import { parseHttpAddress, type HttpAddress } from "./http-endpoint.js";
import { CONFIG_SCHEMA } from "./config-schema.js";
import { checkSchema } from "./json-schema-check.js";
import type { ServiceWorkerLimits } from "./service-worker-version.js";

/**
 * The embedded broker's default port: MQTT's own. Kept here, not in embedded-broker.ts, so
 * that reading a config does not load aedes on a device that never starts the broker.
 */
const EMBEDDED_BROKER_PORT = 1883;

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
  /** The loopback address of /healthz and /metrics; undefined: no HTTP endpoint. */
  http: HttpAddress | undefined;
  /** Time limits of the workers' start, install and activate, and how long a stuck thread may stay silent. */
  workerLimits: ServiceWorkerLimits;
  /** Service workers that run in a browser, whose registrations this agent owns; undefined: none. */
  browser: BrowserConfig | undefined;
}

export interface BrowserConfig {
  /** The origins (scheme://host:port) whose pages may hand their registrations to the agent. */
  origins: string[];
  /** The page bridge's loopback address (a WebSocket); undefined: no bridge. */
  listen: HttpAddress | undefined;
  /** A directory the agent serves as the kiosk app on `listen` (http://localhost:PORT/). */
  serve: string | undefined;
  /** The bridge's token, generated on the first start (default: bridge-token beside the store). */
  tokenFile: string;
  /** A Chromium-family browser's DevTools endpoint (http://127.0.0.1:9222), whose service workers of `origins` the agent drives; undefined: none. */
  devtools: string | undefined;
  /** A browser the agent starts itself and drives over its `--remote-debugging-pipe` (no port open): the executable, then its arguments; undefined: none. */
  launch: string[] | undefined;
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
  /**
   * A `username:password` file. The embedded broker's: generated there on the first start
   * (default: beside the store). With `url`: the credential to present, e.g. another agent's.
   */
  credentialFile: string | undefined;
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
  /** The backend's admission topic (agent/connectivity/admission.ts); ttlMs: how long a payload without its own holds. */
  admission: { topic: string; ttlMs?: number } | undefined;
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

const MQTT_SCHEMES = ["mqtt:", "mqtts:", "ws:", "wss:", "tcp:", "ssl:"];

// Past the schema check, every value has the type and range the schema gives it.
type Raw = Record<string, unknown>;

function fail(message: string): never {
  throw new ConfigError(message);
}

function url(value: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    fail(`${field} is not a valid URL: ${quotedValue(value)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") fail(`${field} must be an http(s) URL, got ${quotedValue(value)}`);
  return parsed.href;
}

/** An MQTT topic is at most 65,535 bytes of UTF-8 (the schema counts characters). */
function topic(value: string, field: string): string {
  if (new TextEncoder().encode(value).length > 65535) fail(`${field} is longer than an MQTT topic may be`);
  return value;
}

function mqttUrl(value: string, field: string): string {
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

/** A topic, or an object with one, as an object. */
const withTopic = (value: unknown): Raw => (typeof value === "string" ? { topic: value } : (value as Raw));

function parseDeviceStatus(raw: unknown): MqttConfig["deviceStatus"] {
  if (raw === undefined) return undefined;
  const d = withTopic(raw);
  const deviceStatus: NonNullable<MqttConfig["deviceStatus"]> = { topic: topic(d.topic as string, "mqtt.deviceStatus.topic") };
  if (d.onlineWord !== undefined) deviceStatus.onlineWord = (d.onlineWord as string).trim();
  if (d.offlineWord !== undefined) deviceStatus.offlineWord = (d.offlineWord as string).trim();
  if ((deviceStatus.onlineWord ?? "online").toLowerCase() === (deviceStatus.offlineWord ?? "offline").toLowerCase())
    fail("mqtt.deviceStatus: onlineWord and offlineWord must differ");
  if (d.ttlMs !== undefined) deviceStatus.ttlMs = d.ttlMs as number;
  if (d.fields !== undefined) deviceStatus.fields = { ...(d.fields as NonNullable<DeviceStatusFormat["fields"]>) };
  return deviceStatus;
}

function parseBackoff(raw: Raw | undefined): ReconnectBackoffOptions {
  const backoff: ReconnectBackoffOptions = { ...raw };
  if ((backoff.maxMs ?? 120_000) < (backoff.initialMs ?? 1000)) fail("mqtt.backoff.maxMs must not be below mqtt.backoff.initialMs");
  return backoff;
}

function parseMqtt(raw: unknown, path: (p: unknown, field: string) => string): MqttConfig | undefined {
  if (raw === false) return undefined;
  const m = (raw === undefined ? {} : typeof raw === "string" ? { url: raw } : raw) as Raw;
  const url = m.url === undefined ? undefined : mqttUrl(m.url as string, "mqtt.url");
  if (url !== undefined && m.brokerPort !== undefined) fail("mqtt.brokerPort is the embedded broker's port; it cannot go with mqtt.url");
  const clientId = (m.clientId as string | undefined) ?? defaultClientId();
  if (clientId.length > 65535) fail("mqtt.clientId is too long");
  if (m.password !== undefined && m.passwordFile !== undefined) fail("mqtt.password and mqtt.passwordFile exclude each other");
  const login = ["username", "password", "passwordFile"].filter((key) => m[key] !== undefined);
  if (url === undefined && login.length > 0)
    fail(`mqtt.${login[0]} is for a broker given by mqtt.url; the embedded broker's credential is generated into mqtt.credentialFile`);
  if (m.credentialFile !== undefined && login.length > 0) fail(`mqtt.credentialFile and mqtt.${login[0]} exclude each other`);
  const backendStatus = m.backendStatus === undefined ? undefined : withTopic(m.backendStatus);
  const admission = m.admission === undefined ? undefined : withTopic(m.admission);
  const optionalTopic = (value: unknown, field: string, fallback: string) =>
    value === false ? undefined : topic((value as string | undefined) ?? fallback, field);
  const file = (key: string) => (m[key] === undefined ? undefined : path(m[key], `mqtt.${key}`));
  return {
    url,
    brokerPort: (m.brokerPort as number | undefined) ?? EMBEDDED_BROKER_PORT,
    clientId,
    username: m.username as string | undefined,
    password: m.password as string | undefined,
    passwordFile: file("passwordFile"),
    credentialFile: file("credentialFile"),
    ca: file("ca"),
    cert: file("cert"),
    key: file("key"),
    insecure: (m.insecure as boolean | undefined) ?? false,
    protocolVersion: (m.protocolVersion as 4 | 5 | undefined) ?? 5,
    keepaliveSeconds: (m.keepaliveSeconds as number | undefined) ?? 30,
    sessionExpirySeconds: (m.sessionExpirySeconds as number | undefined) ?? 0,
    deviceStatus: parseDeviceStatus(m.deviceStatus),
    backendStatus: backendStatus && {
      topic: topic(backendStatus.topic as string, "mqtt.backendStatus.topic"),
      ...(backendStatus.ttlMs !== undefined ? { ttlMs: backendStatus.ttlMs as number } : {}),
    },
    admission: admission && {
      topic: topic(admission.topic as string, "mqtt.admission.topic"),
      ...(admission.ttlMs !== undefined ? { ttlMs: admission.ttlMs as number } : {}),
    },
    presenceTopic: optionalTopic(m.presenceTopic, "mqtt.presenceTopic", `syncward/${clientId}/presence`),
    willDelaySeconds: (m.willDelaySeconds as number | undefined) ?? 0,
    summaryTopic: optionalTopic(m.summaryTopic, "mqtt.summaryTopic", `syncward/${clientId}/summary`),
    backoff: parseBackoff(m.backoff as Raw | undefined),
  };
}

function parseProbe(raw: unknown, field: string): ProbeOptions {
  const p = (typeof raw === "string" ? { url: raw } : raw) as Raw;
  const probe = { ...p, url: url(p.url as string, `${field}.url`) } as ProbeOptions;
  if (probe.expectedBody !== undefined && [204, 304].includes(probe.expectedStatus ?? 200))
    fail(`${field}.expectedBody cannot go with expectedStatus ${probe.expectedStatus}: that answer has no body`);
  return probe;
}

function parseConnectivity(raw: unknown, mqtt: MqttConfig | undefined, probe: ProbeOptions | undefined): AgentConfig["connectivity"] {
  const c = (raw ?? {}) as { require?: SignalName[]; settleMs?: number };
  let require: SignalName[] | undefined;
  try {
    if (c.require !== undefined) require = requiredSignals({ probe, mqtt }, c.require);
  } catch (error) {
    if (error instanceof RequireError) fail(`connectivity.require ${error.message}`);
    throw error;
  }
  return { require, settleMs: c.settleMs };
}

/** Validate a parsed JSON config; relative paths are taken from `baseDir`. */
export function parseConfig(raw: unknown, baseDir: string): AgentConfig {
  try {
    checkSchema(CONFIG_SCHEMA, raw, "");
  } catch (error) {
    fail((error as Error).message);
  }
  const r = raw as Raw;
  const path = (p: unknown, field: string) => {
    if (typeof p !== "string" || p === "") fail(`${field} must be a non-empty path`);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };
  const serviceWorkers = ((r.serviceWorkers ?? []) as Raw[]).map((w, i) => {
    const worker: ServiceWorkerConfig = { script: path(w.script, `serviceWorkers[${i}].script`), scope: url(w.scope as string, `serviceWorkers[${i}].scope`) };
    if (w.probe !== undefined) worker.probe = parseProbe(w.probe, `serviceWorkers[${i}].probe`);
    return worker;
  });
  if (new Set(serviceWorkers.map((w) => w.scope)).size !== serviceWorkers.length) fail("serviceWorkers has two workers for one scope");
  const probe = r.probe === undefined ? undefined : parseProbe(r.probe, "probe");
  const mqtt = parseMqtt(r.mqtt, path);
  const store = r.store === undefined ? defaultStorePath() : path(r.store, "store");
  if (mqtt && mqtt.url === undefined) mqtt.credentialFile ??= join(dirname(store), "broker-credential");
  return {
    preset: (r.preset as Preset | undefined) ?? "chromium",
    policy: { ...(r.policy as Partial<Policy> | undefined) },
    store,
    serviceWorkers,
    windowClient: (r.windowClient as boolean | undefined) ?? true,
    probe,
    log: (r.log as "text" | "json" | undefined) ?? "text",
    control: r.control === undefined ? defaultControlPath() : path(r.control, "control"),
    seed: r.seed as number | undefined,
    mqtt,
    connectivity: parseConnectivity(r.connectivity, mqtt, probe),
    http: r.http === undefined ? undefined : httpAddress(r.http as string, "http"),
    workerLimits: (r.workerLimits ?? {}) as ServiceWorkerLimits,
    browser: parseBrowser(r.browser as Raw | undefined, store, path),
  };
}

function parseBrowser(b: Raw | undefined, store: string, path: (p: unknown, field: string) => string): BrowserConfig | undefined {
  if (b === undefined) return undefined;
  const origins = ((b.origins ?? []) as string[]).map((value, i) => origin(value, `browser.origins[${i}]`));
  if (origins.length === 0 && b.serve === undefined) fail("browser needs origins, or serve (the app the agent serves is an allowed origin)");
  if (b.devtools !== undefined && b.launch !== undefined)
    fail("browser.devtools and browser.launch exclude each other: the agent either reaches a browser's port or launches its own over a pipe");
  if (b.serve !== undefined && b.listen === undefined) fail("browser.serve needs browser.listen: the app is served on the bridge's address");
  const listen = b.listen === undefined ? undefined : httpAddress(b.listen as string, "browser.listen", "only this device's own browser may reach the bridge");
  // The app the agent serves is an allowed origin; known here when the port is (else the bridge adds it once listening).
  if (b.serve !== undefined && listen && listen.port !== 0) origins.push(...["localhost", "127.0.0.1", "[::1]"].map((host) => `http://${host}:${listen.port}`));
  return {
    origins: [...new Set(origins)],
    listen,
    serve: b.serve === undefined ? undefined : path(b.serve, "browser.serve"),
    tokenFile: b.tokenFile === undefined ? join(dirname(store), "bridge-token") : path(b.tokenFile, "browser.tokenFile"),
    devtools: b.devtools === undefined ? undefined : devtoolsEndpoint(b.devtools as string),
    launch: b.launch as string[] | undefined,
  };
}

/** The browser's DevTools endpoint: its HTTP address, or its browser WebSocket URL. */
function devtoolsEndpoint(value: string): string {
  const parsed = new URL(url(value, "browser.devtools"));
  if (!["http:", "ws:"].includes(parsed.protocol)) fail(`browser.devtools must be http://HOST:PORT or the browser's ws:// URL, got ${quotedValue(value)}`);
  return value;
}

/** An origin as a page's Origin header spells it: scheme, host and port only. */
function origin(value: string, field: string): string {
  const parsed = new URL(url(value, field));
  if (parsed.origin !== value.replace(/\/$/, "")) fail(`${field} must be an origin such as http://localhost:8080, with no path, got ${quotedValue(value)}`);
  return parsed.origin;
}

function httpAddress(value: string, field: string, why?: string): HttpAddress {
  try {
    return parseHttpAddress(value, field, why);
  } catch (error) {
    fail((error as Error).message);
  }
}
