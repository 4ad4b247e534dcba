#!/usr/bin/env node
// The `syncward` command: `syncward agent` runs service workers with Background Sync on this
// device; `syncward net` talks to a running agent. Bad flags and bad config end with one line
// and exit 2; a runtime failure exits 1; SIGTERM and SIGINT flush the store and exit 0.

import { mkdir, readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Agent } from "../agent.js";
import { DeviceConnectivity, type MqttOptions } from "../connectivity/device-connectivity.js";
import { systemClock } from "../clock.js";
import { jsonLine, textLine, type BackgroundServiceEvent } from "../log.js";
import { SchedulerError } from "../core/codes.js";
import { createScheduler } from "./core-wasm.js";
import { singleTenant } from "../core/scheduler-endpoint.js";
import { FileStore } from "./file-store.js";
import { NodeServiceWorkerHost } from "./service-worker-host.js";
import { parseConfig, ConfigError, type AgentConfig, type MqttConfig } from "./agent-config.js";
import { serveControl, sendControl, defaultControlPath } from "./control-socket.js";
import type { EmbeddedBroker } from "./embedded-broker.js";

const HELP = `syncward — Background Sync for runtimes that lack it

Usage:
  syncward agent [options]           run service workers and fire their sync events
  syncward net offline|online|auto   force the running agent's network state (auto: the signals decide)
  syncward net status                show the agent's network state and registrations
  syncward sim [scenario] [options]  simulate a fleet and compare sync policies (syncward sim --help)
  syncward --help

Agent options (flags override the config file):
  --config FILE        JSON config (fields: preset, policy, store, serviceWorkers, windowClient,
                       probe, mqtt, connectivity, log, control, seed; see the README)
  --sw FILE            a service worker script (with --scope)
  --scope URL          the scope of its registration, e.g. http://localhost:8080/
  --store PATH         base path of the store files (default: $XDG_STATE_HOME/syncward/registrations)
  --preset NAME        chromium (default) or kiosk
  --probe URL          HTTP reachability probe; online only while it answers 204
  --mqtt URL           MQTT broker (mqtt://, mqtts://, ws://, wss://); without it an embedded
                       broker (MQTT 3.1.1) listens on 127.0.0.1:1883
  --no-mqtt            no MQTT at all: the probe (or nothing) decides
  --broker-port N      port of the embedded broker (0: any free port)
  --mqtt-client-id ID  MQTT client id (default: syncward-HOSTNAME)
  --mqtt-username NAME, --mqtt-password-file FILE   broker credentials (or SYNCWARD_MQTT_PASSWORD)
  --mqtt-ca FILE, --mqtt-cert FILE, --mqtt-key FILE  TLS: trusted CA, client certificate and key (PEM)
  --mqtt-insecure      accept any broker certificate (testing only)
  --device-status TOPIC    the firmware's retained status: online/offline or JSON
  --backend-status TOPIC   the backend's Sparkplug STATE: {"online": bool, "timestamp": ms}
  --require LIST       signals that must all be good, e.g. broker,deviceStatus (default: all configured)
  --settle MS          how long they must stay good before online (default 5000)
  --no-window-client   no window of the origin is open: register() then fails as the spec says
  --log FORMAT         text (default) or json: one line per Background Service event
  --control PATH       control socket (default: $XDG_RUNTIME_DIR/syncward/control.sock)
  --seed N             seed of the scheduler's random source

Net options:
  --control PATH, --config FILE   where the running agent listens
`;

class UsageError extends Error {}

/** Run the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === "agent") return await runAgent(rest);
    if (command === "net") return await runNet(rest);
    if (command === "sim") return await (await import("../../device-sim/cli.js")).main(rest);
    throw new UsageError(`unknown command "${command}" (try: syncward --help)`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`syncward: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`syncward: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Flags parsed strictly: an unknown or malformed flag is a usage error. */
function parse<R>(run: () => R): R {
  try {
    return run();
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
}

/** The config file as JSON (relative paths in it are taken from its directory). */
async function readRawConfig(file: string | undefined): Promise<{ raw: Record<string, unknown>; baseDir: string }> {
  if (file === undefined) return { raw: {}, baseDir: process.cwd() };
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError("the config must be a JSON object");
  return { raw: raw as Record<string, unknown>, baseDir: dirname(file) };
}

async function readConfig(file: string | undefined): Promise<AgentConfig> {
  const { raw, baseDir } = await readRawConfig(file);
  return parseConfig(raw, baseDir);
}

function integer(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

async function runAgent(args: string[]): Promise<number> {
  const { values, positionals } = parse(() => parseArgs({
    args, allowPositionals: true, strict: true,
    options: {
      config: { type: "string" }, sw: { type: "string" }, scope: { type: "string" }, store: { type: "string" },
      preset: { type: "string" }, probe: { type: "string" }, "no-window-client": { type: "boolean" },
      log: { type: "string" }, control: { type: "string" }, seed: { type: "string" }, help: { type: "boolean", short: "h" },
      mqtt: { type: "string" }, "no-mqtt": { type: "boolean" }, "broker-port": { type: "string" }, "mqtt-client-id": { type: "string" },
      "mqtt-username": { type: "string" }, "mqtt-password-file": { type: "string" }, "mqtt-ca": { type: "string" },
      "mqtt-cert": { type: "string" }, "mqtt-key": { type: "string" }, "mqtt-insecure": { type: "boolean" },
      "device-status": { type: "string" }, "backend-status": { type: "string" }, require: { type: "string" }, settle: { type: "string" },
    },
  }));
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.sw === undefined) !== (values.scope === undefined)) throw new UsageError("--sw and --scope go together");
  if (values["no-mqtt"] && values.mqtt !== undefined) throw new UsageError("--mqtt and --no-mqtt exclude each other");

  // Flags go on top of the file's JSON and the result is checked once; paths given as flags
  // are taken from the working directory, paths in the file from the file's directory.
  const { raw, baseDir } = await readRawConfig(values.config);
  const here = (p: string) => resolve(process.cwd(), p);
  if (values.sw !== undefined) raw.serviceWorkers = [...(Array.isArray(raw.serviceWorkers) ? raw.serviceWorkers : []), { script: here(values.sw), scope: values.scope }];
  if (values.store !== undefined) raw.store = here(values.store);
  if (values.preset !== undefined) raw.preset = values.preset;
  if (values.probe !== undefined) raw.probe = values.probe;
  if (values["no-window-client"]) raw.windowClient = false;
  if (values.log !== undefined) raw.log = values.log;
  if (values.control !== undefined) raw.control = here(values.control);
  if (values.seed !== undefined) raw.seed = integer(values.seed, "--seed");
  if (values["no-mqtt"]) raw.mqtt = false;
  const mqttFlags: Record<string, unknown> = {};
  if (values.mqtt !== undefined) mqttFlags.url = values.mqtt;
  if (values["broker-port"] !== undefined) mqttFlags.brokerPort = integer(values["broker-port"], "--broker-port");
  if (values["mqtt-client-id"] !== undefined) mqttFlags.clientId = values["mqtt-client-id"];
  if (values["mqtt-username"] !== undefined) mqttFlags.username = values["mqtt-username"];
  if (values["mqtt-password-file"] !== undefined) mqttFlags.passwordFile = here(values["mqtt-password-file"]);
  for (const key of ["ca", "cert", "key"] as const) if (values[`mqtt-${key}`] !== undefined) mqttFlags[key] = here(values[`mqtt-${key}`]!);
  if (values["mqtt-insecure"]) mqttFlags.insecure = true;
  if (values["device-status"] !== undefined) mqttFlags.deviceStatus = values["device-status"];
  if (values["backend-status"] !== undefined) mqttFlags.backendStatus = values["backend-status"];
  if (Object.keys(mqttFlags).length > 0) {
    if (raw.mqtt === false) throw new UsageError("MQTT flags given, but the config (or --no-mqtt) turns MQTT off");
    const base = typeof raw.mqtt === "string" ? { url: raw.mqtt } : typeof raw.mqtt === "object" && raw.mqtt !== null ? raw.mqtt : {};
    raw.mqtt = { ...base, ...mqttFlags };
  }
  if (values.require !== undefined || values.settle !== undefined) {
    const base = typeof raw.connectivity === "object" && raw.connectivity !== null ? raw.connectivity : {};
    raw.connectivity = {
      ...base,
      ...(values.require !== undefined ? { require: values.require.split(",").map((s) => s.trim()).filter((s) => s !== "") } : {}),
      ...(values.settle !== undefined ? { settleMs: integer(values.settle, "--settle") } : {}),
    };
  }
  const config = parseConfig(raw, baseDir);
  if (config.serviceWorkers.length === 0) throw new UsageError("no service worker: pass --sw FILE --scope URL, or serviceWorkers in --config");
  const mqttSecrets = config.mqtt && (await readMqttSecrets(config.mqtt));

  let scheduler;
  try {
    scheduler = await createScheduler({ preset: config.preset, policy: config.policy, seed: config.seed });
  } catch (error) {
    if (error instanceof SchedulerError) throw new ConfigError(`policy refused: ${error.message}`);
    throw error;
  }
  const write = (line: string) => process.stdout.write(line + "\n");
  const format = config.log === "json" ? jsonLine : textLine;
  const clockTime = () => new Date().toISOString().slice(11, 23);
  const note = (what: string, fields: Record<string, unknown>) =>
    write(config.log === "json" ? JSON.stringify({ timestamp: Date.now(), event: what, ...fields }) : `${clockTime()} ${what} ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`);
  const say = (message: string) => write(config.log === "json" ? JSON.stringify({ timestamp: Date.now(), event: "connectivity", message }) : `${clockTime()} ${message}`);
  const problem = (message: string) => process.stderr.write(`syncward: ${message}\n`);

  // A service worker's stray error must not take the device's agent down with it.
  const stray = (error: unknown) => problem(`uncaught error in a service worker: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.on("uncaughtException", stray);
  process.on("unhandledRejection", stray);
  // Whoever read the log went away (EPIPE): keep syncing, stop logging. Unhandled, each failed
  // write became an uncaught error whose report failed in turn, and the agent spun on that.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

  await mkdir(dirname(config.store), { recursive: true, mode: 0o700 });
  const store = new FileStore({ path: config.store, log: problem });
  let connectivity: DeviceConnectivity | undefined;
  const host = await NodeServiceWorkerHost.start({
    agent: (dispatcher) => Agent.start({
      scheduler: singleTenant(scheduler), store, dispatcher, onProblem: problem,
      log: (e: BackgroundServiceEvent) => {
        write(format(e));
        connectivity?.registrationsChanged();
      },
    }),
    windowClients: () => (config.windowClient ? config.serviceWorkers.map((w, i) => ({ id: `window-${i}`, url: w.scope })) : []),
    log: problem,
  });
  const agent = host.agent;
  let broker: EmbeddedBroker | undefined;
  let server: Awaited<ReturnType<typeof serveControl>> | undefined;
  const shutdown = async () => {
    await connectivity?.close();
    server?.close();
    await host.close();
    await broker?.close();
  };
  try {
    let mqtt: MqttOptions | undefined;
    if (config.mqtt) {
      let url = config.mqtt.url;
      if (url === undefined) {
        // Loaded only when used: aedes costs a device with its own broker several MB of RSS.
        const { startEmbeddedBroker } = await import("./embedded-broker.js");
        broker = await startEmbeddedBroker({ port: config.mqtt.brokerPort });
        url = broker.url;
        note("embedded MQTT broker", { url });
      }
      mqtt = mqttOptions(config.mqtt, url, broker !== undefined, mqttSecrets!);
    }
    connectivity = new DeviceConnectivity({
      agent, clock: systemClock, mqtt, probe: config.probe, require: config.connectivity.require, settleMs: config.connectivity.settleMs, log: say,
      onChange: (s) => note("network", { online: s.online, metered: s.metered, onBattery: s.onBattery, reason: s.reason }),
      onScopeChange: (scope, online) => note("scope network", { scope, online }),
    });
    const live = connectivity;
    server = await serveControl(config.control, (request) => {
      if (request.cmd === "net") live.setManual(request.set);
      const next = agent.nextWakeup();
      return { ...live.status(), registrations: agent.status(), nextWakeup: Number.isFinite(next) ? new Date(next).toISOString() : null };
    });
    for (const worker of config.serviceWorkers) {
      await host.load({ script: worker.script, scope: worker.scope });
      if (worker.probe) connectivity.watchScope(worker.scope, worker.probe);
      note("service worker active", { scope: worker.scope, script: worker.script, ...(worker.probe ? { probe: worker.probe.url } : {}) });
    }
  } catch (error) {
    await shutdown();
    throw error;
  }
  const ready = connectivity.status();
  note("syncward agent ready", {
    store: config.store, control: config.control, preset: config.preset, mqtt: ready.mqtt?.url ?? "off",
    require: ready.required.join(",") || "nothing", online: ready.online, reason: ready.reason,
  });

  const code = await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      note("stopping", { signal });
      resolve(0);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  await shutdown();
  process.off("uncaughtException", stray);
  process.off("unhandledRejection", stray);
  return code;
}

interface MqttSecrets {
  password: string | undefined;
  ca: Buffer | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
}

/** Read the password and TLS files now, so a missing one is a config error before anything starts. */
async function readMqttSecrets(config: MqttConfig): Promise<MqttSecrets> {
  const read = async (file: string | undefined, field: string) => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (error) {
      throw new ConfigError(`cannot read ${field} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const passwordFile = await read(config.passwordFile, "mqtt.passwordFile");
  return {
    password: passwordFile?.toString("utf8").replace(/\r?\n$/, "") ?? config.password ?? (process.env.SYNCWARD_MQTT_PASSWORD || undefined),
    ca: await read(config.ca, "mqtt.ca"),
    cert: await read(config.cert, "mqtt.cert"),
    key: await read(config.key, "mqtt.key"),
  };
}

function mqttOptions(config: MqttConfig, url: string, embedded: boolean, secrets: MqttSecrets): MqttOptions {
  const tls = { ...(secrets.ca ? { ca: secrets.ca } : {}), ...(secrets.cert ? { cert: secrets.cert } : {}), ...(secrets.key ? { key: secrets.key } : {}), ...(config.insecure ? { rejectUnauthorized: false } : {}) };
  return {
    url,
    clientId: config.clientId,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(secrets.password !== undefined ? { password: secrets.password } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
    // aedes speaks MQTT 3.1.1 only.
    protocolVersion: embedded ? 4 : config.protocolVersion,
    keepaliveSeconds: config.keepaliveSeconds,
    sessionExpirySeconds: config.sessionExpirySeconds,
    deviceStatus: config.deviceStatus,
    backendStatus: config.backendStatus,
    presence: config.presenceTopic === undefined ? undefined : { topic: config.presenceTopic, willDelaySeconds: config.willDelaySeconds },
    summaryTopic: config.summaryTopic,
    backoff: config.backoff,
  };
}

async function runNet(args: string[]): Promise<number> {
  const { values, positionals } = parse(() => parseArgs({
    args, allowPositionals: true, strict: true, options: { control: { type: "string" }, config: { type: "string" } },
  }));
  const [action, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  if (action !== "offline" && action !== "online" && action !== "auto" && action !== "status") {
    throw new UsageError("syncward net needs one of: offline, online, auto, status");
  }
  const path = values.control ?? (values.config ? (await readConfig(values.config)).control : defaultControlPath());
  const result = await sendControl(path, action === "status" ? { cmd: "status" } : { cmd: "net", set: action });
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  return 0;
}

const invoked = process.argv[1];
if (invoked && import.meta.url === pathToFileURL(realpathSync(invoked)).href) {
  const code = await main(process.argv.slice(2));
  // Exit once stdout has drained: a pipe takes 64 KiB at a time, and exiting earlier cuts a
  // long answer (a status with thousands of registrations, a simulator's --json) short.
  process.stdout.write("", () => process.exit(code));
}
