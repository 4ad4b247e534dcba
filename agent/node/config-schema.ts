// The JSON Schema of `syncward agent`'s config file: the one definition of its fields, their
// types and ranges. agent-config.ts checks every file against it before anything else, and
// the build writes it to build/agent-config.schema.json (`syncward/agent-config.schema.json`
// in the package) for editors, which complete and check a file that names it in "$schema".
// What a schema cannot say (URLs that parse, fields that exclude each other, signals that
// must be configured) agent-config.ts checks after it.

import { JITTER_MODES, POLICY_FIELDS, PRESETS, type Policy } from "../../wasm-core/binding/policy.js";
import type { JsonSchema } from "./json-schema-check.js";

const text = (description: string): JsonSchema => ({ type: "string", minLength: 1, description, errorMessage: "must be a non-empty string" });
const path = (description: string): JsonSchema => ({ type: "string", minLength: 1, description, errorMessage: "must be a non-empty path" });
const flag = (description: string, value: boolean): JsonSchema => ({ type: "boolean", default: value, description, errorMessage: "must be true or false" });
const ms = (description: string): JsonSchema => ({
  type: "number",
  exclusiveMinimum: 0,
  description,
  errorMessage: "must be a positive number of milliseconds",
});
const count = (unit: string, max: number, value: number, description: string): JsonSchema => ({
  type: "integer",
  minimum: 0,
  maximum: max,
  default: value,
  description,
  errorMessage: `must be a whole number of ${unit} from 0 to ${max}`,
});
const object = (description: string, properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: "object",
  description,
  properties,
  additionalProperties: false,
  ...(required.length > 0 ? { required } : {}),
});
const httpUrl = (description: string): JsonSchema => ({ type: "string", format: "uri", description, errorMessage: "must be an http(s) URL string" });
const topic = (description: string): JsonSchema => ({
  type: "string",
  minLength: 1,
  pattern: "^[^+#\\u0000]+$",
  description,
  errorMessage: "must be one MQTT topic, without the wildcards + and #",
});
const off = (description: string): JsonSchema => ({ const: false, description });
/** A time limit a timer can wait: at most 2^31 - 1 ms, past which Node fires at once. */
const limitMs = (description: string, value: number): JsonSchema => ({
  type: "number",
  exclusiveMinimum: 0,
  maximum: 2 ** 31 - 1,
  default: value,
  description,
  errorMessage: `must be a positive number of milliseconds, at most ${2 ** 31 - 1} (24.8 days)`,
});

const BOOLEAN_POLICY: readonly (keyof Policy)[] = ["reregisterBypassesBackoff", "periodicSnap"];

function policyField(field: keyof Policy): JsonSchema {
  if (field === "jitter") return { enum: JITTER_MODES, description: "Jitter of the back-off" };
  if (BOOLEAN_POLICY.includes(field)) return { type: "boolean", errorMessage: "must be true or false" };
  return { type: "number", errorMessage: "must be a number (milliseconds for times)" };
}

function probe(description: string): JsonSchema {
  return {
    description,
    errorMessage: "must be a URL or {url, expectedStatus, expectedBody, timeoutMs, intervalMs, maxIntervalMs, minTriggerGapMs}",
    anyOf: [
      httpUrl("The URL; it must answer 204"),
      object(
        "The probe",
        {
          url: httpUrl("The URL of the backend's health check"),
          expectedStatus: {
            type: "integer",
            minimum: 100,
            maximum: 599,
            default: 204,
            description: "The status that proves reachability (200 when expectedBody is set)",
            errorMessage: "must be an HTTP status (100-599)",
          },
          expectedBody: { type: "string", description: 'The exact body that proves reachability, e.g. "OK"', errorMessage: 'must be a string, e.g. "OK"' },
          timeoutMs: ms("Time limit of one request (default 5000)"),
          intervalMs: ms("Time between probes while nothing changes (default 30000)"),
          maxIntervalMs: ms("Longest time between probes while failing (default 300000)"),
          minTriggerGapMs: ms("Shortest time between probes that a signal change triggers (default 1000)"),
        },
        ["url"],
      ),
    ],
  };
}

const MQTT: JsonSchema = object("The agent's MQTT connection", {
  url: {
    type: "string",
    format: "uri",
    description: "The broker (mqtt://, mqtts://, ws://, wss://); without it an embedded broker on 127.0.0.1",
    errorMessage: "must be a broker URL such as mqtt://host:1883",
  },
  brokerPort: {
    ...count("a TCP port (0: any free port)", 65535, 1883, "The embedded broker's port"),
    errorMessage: "must be a whole number of a TCP port (0: any free port) from 0 to 65535",
  },
  clientId: text("MQTT client id (default syncward-HOSTNAME)"),
  username: text("User name at a broker given by url"),
  password: text("Password at a broker given by url (or passwordFile, or SYNCWARD_MQTT_PASSWORD)"),
  passwordFile: path("A file holding the password at a broker given by url"),
  credentialFile: path(
    "A user:password file: the embedded broker's, generated on the first start (default broker-credential beside the store); with url, the credential to present",
  ),
  ca: path("Trusted CA (PEM)"),
  cert: path("Client certificate (PEM)"),
  key: path("Client key (PEM)"),
  insecure: flag("Accept any broker certificate (testing only)", false),
  protocolVersion: {
    enum: [4, 5],
    default: 5,
    description: "4 (MQTT 3.1.1) or 5; 5 falls back to 4 if the broker refuses it",
    errorMessage: "must be 4 (MQTT 3.1.1) or 5",
  },
  keepaliveSeconds: count("seconds", 65535, 30, "MQTT keep-alive"),
  sessionExpirySeconds: count("seconds", 2 ** 32 - 1, 0, "MQTT 5 session expiry"),
  deviceStatus: {
    description: "The firmware's retained status topic: online/offline or JSON",
    errorMessage: "must be a topic or {topic, onlineWord, offlineWord, ttlMs, fields}",
    anyOf: [
      topic("The topic"),
      object(
        "The status topic and its format",
        {
          topic: topic("The topic"),
          onlineWord: text("The word for online (default online, any case)"),
          offlineWord: text("The word for offline (default offline, any case)"),
          ttlMs: ms("A status older than this is stale (unknown)"),
          fields: object("Names of the JSON payload's fields", {
            online: text("online"),
            metered: text("metered"),
            onBattery: text("onBattery"),
            timestamp: text("timestamp"),
          }),
        },
        ["topic"],
      ),
    ],
  },
  backendStatus: {
    description: 'The backend\'s Sparkplug STATE topic: {"online": bool, "timestamp": ms}',
    errorMessage: "must be a topic or {topic, ttlMs}",
    anyOf: [topic("The topic"), object("The STATE topic", { topic: topic("The topic"), ttlMs: ms("A status older than this is stale (unknown)") }, ["topic"])],
  },
  admission: {
    description:
      'The backend\'s retained admission topic: {"rate": requests/s, "devices": n} or {"perDevice": requests/s}, with "timestamp" (ms) and optional "ttlMs"; the agent paces its sync events at its share',
    errorMessage: "must be a topic or {topic, ttlMs}",
    anyOf: [
      topic("The topic"),
      object("The admission topic", { topic: topic("The topic"), ttlMs: ms("How long a payload without its own ttlMs holds (default 60000)") }, ["topic"]),
    ],
  },
  presenceTopic: { description: "Retained online/offline of this agent (default syncward/CLIENTID/presence)", anyOf: [off("No presence"), topic("The topic")] },
  willDelaySeconds: count("seconds", 2 ** 32 - 1, 0, "MQTT 5 Will delay of the presence"),
  summaryTopic: { description: "Retained summary of the registrations (default syncward/CLIENTID/summary)", anyOf: [off("No summary"), topic("The topic")] },
  backoff: object("Reconnect back-off (gRPC's by default)", {
    initialMs: ms("First delay (default 1000)"),
    multiplier: { type: "number", minimum: 1, maximum: 10, description: "Growth per attempt (default 1.6)", errorMessage: "must be a number from 1 to 10" },
    jitter: {
      type: "number",
      minimum: 0,
      exclusiveMaximum: 1,
      description: "± fraction (default 0.2)",
      errorMessage: "must be a number from 0 up to (not including) 1",
    },
    maxMs: ms("Longest delay (default 120000)"),
    minConnectTimeoutMs: ms("Shortest connect timeout (default 20000)"),
  }),
});

/** The JSON Schema of the agent's config file. */
export const CONFIG_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "syncward agent config",
  ...object("The config of `syncward agent`; flags override it", {
    $schema: { type: "string", description: "This schema, for editors: e.g. node_modules/syncward/build/agent-config.schema.json" },
    preset: { enum: PRESETS, default: "chromium", description: "The core's policy preset" },
    policy: {
      ...object("Policy fields over the preset", Object.fromEntries(POLICY_FIELDS.map((f) => [f, policyField(f)]))),
      errorMessage: "must be an object of policy fields",
    },
    store: path("Base path of the store files (default $STATE_DIRECTORY/registrations or $XDG_STATE_HOME/syncward/registrations)"),
    serviceWorkers: {
      type: "array",
      description: "The service workers to run",
      errorMessage: "must be an array of {script, scope}",
      items: object(
        "A service worker",
        {
          script: path("Its script"),
          scope: httpUrl("Its registration's scope, e.g. http://localhost:8080/"),
          probe: probe("A probe of this origin's backend: the scope is online only while it succeeds"),
        },
        ["script", "scope"],
      ),
    },
    windowClient: flag("Whether the kiosk page (a window client of the origin) is open; register() needs one", true),
    probe: probe("An HTTP probe of the backend; online only while it answers as expected"),
    log: { enum: ["text", "json"], default: "text", description: "text, or json: one JSON object per line" },
    control: path("The control socket (default $RUNTIME_DIRECTORY/control.sock or $XDG_RUNTIME_DIR/syncward/control.sock)"),
    seed: { type: "integer", minimum: 0, description: "Seed of the core's random source", errorMessage: "must be a non-negative integer" },
    mqtt: {
      description: "false (no MQTT), a broker URL, or the connection",
      errorMessage: "must be false, a broker URL, or an object {url, deviceStatus, backendStatus, …}",
      anyOf: [off("No MQTT"), { type: "string", description: "The broker URL" }, MQTT],
    },
    connectivity: object("How the signals decide online", {
      require: {
        type: "array",
        uniqueItems: true,
        description: "Signals that must all be good (default: every configured one)",
        items: {
          enum: ["probe", "broker", "deviceStatus", "backendStatus"],
          errorMessage: "must be probe, broker, deviceStatus or backendStatus (navigatorOnLine is evidence of offline only, and only in a page)",
        },
      },
      settleMs: {
        type: "number",
        minimum: 0,
        default: 5000,
        description: "How long they must stay good before online",
        errorMessage: "must be a non-negative number of milliseconds",
      },
    }),
    workerLimits: object("Time limits of each service worker's thread", {
      startMs: limitMs("Its script's top level, at load and at each restart", 300_000),
      installMs: limitMs("The install event, until its waitUntil promises settle", 300_000),
      activateMs: limitMs("The activate event, likewise", 300_000),
      unresponsiveMs: limitMs("How long a thread has to answer a ping once a request passed its limit; silent, it is terminated", 10_000),
    }),
    http: {
      type: "string",
      description: "Serve /healthz and /metrics on this loopback address, e.g. 127.0.0.1:9464",
      errorMessage: "must be a loopback address and port such as 127.0.0.1:9464",
    },
    browser: object("Service workers that run in a browser (the kiosk app): the agent owns their registrations and decides when their events fire", {
      origins: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        description:
          "The origins whose pages may hand their registrations to the agent, e.g. http://localhost:8080 (the app served by the agent is one without being named)",
        errorMessage: "must be a non-empty array of origins such as http://localhost:8080",
        items: httpUrl("An origin: scheme, host and port"),
      },
      listen: {
        type: "string",
        description: "The page bridge's loopback address, e.g. 127.0.0.1:8765 (default: no bridge)",
        errorMessage: "must be a loopback address and port such as 127.0.0.1:8765",
      },
      serve: path("A directory served as the kiosk app on the bridge's address, at http://localhost:PORT/"),
      tokenFile: path("The bridge's token, generated on the first start (default: bridge-token beside the store)"),
      devtools: {
        type: "string",
        format: "uri",
        description:
          "A Chromium-family browser's DevTools endpoint (--remote-debugging-port), e.g. http://127.0.0.1:9222: the agent fires the sync events of its service workers of these origins over the DevTools protocol",
        errorMessage: "must be http://HOST:PORT or the browser's ws:// URL",
      },
      launch: {
        type: "array",
        minItems: 1,
        description:
          'A Chromium-family browser the agent starts itself, e.g. ["/usr/bin/chromium", "--kiosk", "http://localhost:8080/"]: the agent adds --remote-debugging-pipe and drives it over the pipe (no debugging port open), starts it again when it exits and ends it when the agent stops',
        errorMessage: "must be a non-empty array of strings: the browser's executable, then its arguments",
        items: text("The executable, then each argument"),
      },
    }),
  }),
  errorMessage: "must be a JSON object",
};
