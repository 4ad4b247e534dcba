#!/usr/bin/env node
// The `syncward` command: `syncward agent` runs service workers with Background Sync on this
// device; `syncward net` talks to a running agent. Bad flags and bad config end with one line
// and exit 2; a runtime failure exits 1; SIGTERM and SIGINT flush the store and exit 0.

import { mkdir, readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Agent } from "../agent.js";
import { Connectivity, type ManualSetting } from "../connectivity.js";
import { ReachabilityProbe } from "../reachability-probe.js";
import { systemClock } from "../clock.js";
import { jsonLine, textLine, type BackgroundServiceEvent } from "../log.js";
import { SchedulerError } from "../core/codes.js";
import { createScheduler } from "./core-wasm.js";
import { FileStore } from "./file-store.js";
import { NodeServiceWorkerHost } from "./service-worker-host.js";
import { parseConfig, ConfigError, type AgentConfig } from "./agent-config.js";
import { serveControl, sendControl, defaultControlPath } from "./control-socket.js";

const HELP = `syncward — Background Sync for runtimes that lack it

Usage:
  syncward agent [options]           run service workers and fire their sync events
  syncward net offline|online|auto   force the running agent's network state (auto: the probe decides)
  syncward net status                show the agent's network state and registrations
  syncward --help

Agent options (flags override the config file):
  --config FILE        JSON config (fields: preset, policy, store, serviceWorkers, windowClient,
                       probe, log, control, seed; see the README)
  --sw FILE            a service worker script (with --scope)
  --scope URL          the scope of its registration, e.g. http://localhost:8080/
  --store PATH         base path of the store files (default: $XDG_STATE_HOME/syncward/registrations)
  --preset NAME        chromium (default) or kiosk
  --probe URL          HTTP reachability probe; online only while it answers 204
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

async function readConfig(file: string | undefined): Promise<AgentConfig> {
  if (file === undefined) return parseConfig({}, process.cwd());
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
  return parseConfig(raw, dirname(file));
}

async function runAgent(args: string[]): Promise<number> {
  const { values, positionals } = parse(() => parseArgs({
    args, allowPositionals: true, strict: true,
    options: {
      config: { type: "string" }, sw: { type: "string" }, scope: { type: "string" }, store: { type: "string" },
      preset: { type: "string" }, probe: { type: "string" }, "no-window-client": { type: "boolean" },
      log: { type: "string" }, control: { type: "string" }, seed: { type: "string" }, help: { type: "boolean", short: "h" },
    },
  }));
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.sw === undefined) !== (values.scope === undefined)) throw new UsageError("--sw and --scope go together");
  const file = await readConfig(values.config);
  const overrides: Record<string, unknown> = {};
  if (values.sw !== undefined) overrides.serviceWorkers = [...file.serviceWorkers, { script: values.sw, scope: values.scope }];
  if (values.store !== undefined) overrides.store = values.store;
  if (values.preset !== undefined) overrides.preset = values.preset;
  if (values.probe !== undefined) overrides.probe = values.probe;
  if (values["no-window-client"]) overrides.windowClient = false;
  if (values.log !== undefined) overrides.log = values.log;
  if (values.control !== undefined) overrides.control = values.control;
  if (values.seed !== undefined) {
    if (!/^\d+$/.test(values.seed)) throw new UsageError(`--seed must be a non-negative integer, got "${values.seed}"`);
    overrides.seed = Number(values.seed);
  }
  const config = Object.keys(overrides).length === 0 ? file : parseConfig({ ...asRaw(file), ...overrides }, process.cwd());
  if (config.serviceWorkers.length === 0) throw new UsageError("no service worker: pass --sw FILE --scope URL, or serviceWorkers in --config");

  let scheduler;
  try {
    scheduler = await createScheduler({ preset: config.preset, policy: config.policy, seed: config.seed });
  } catch (error) {
    if (error instanceof SchedulerError) throw new ConfigError(`policy refused: ${error.message}`);
    throw error;
  }
  const write = (line: string) => process.stdout.write(line + "\n");
  const format = config.log === "json" ? jsonLine : textLine;
  const note = (what: string, fields: Record<string, unknown>) =>
    write(config.log === "json" ? JSON.stringify({ timestamp: Date.now(), event: what, ...fields }) : `${new Date().toISOString().slice(11, 23)} ${what} ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`);
  const problem = (message: string) => process.stderr.write(`syncward: ${message}\n`);

  // A service worker's stray error must not take the device's agent down with it.
  const stray = (error: unknown) => problem(`uncaught error in a service worker: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.on("uncaughtException", stray);
  process.on("unhandledRejection", stray);

  await mkdir(dirname(config.store), { recursive: true, mode: 0o700 });
  const store = new FileStore({ path: config.store, log: problem });
  const host = await NodeServiceWorkerHost.start({
    agent: (dispatcher) => Agent.start({ scheduler, store, dispatcher, log: (e: BackgroundServiceEvent) => write(format(e)), onProblem: problem }),
    windowClients: () => (config.windowClient ? config.serviceWorkers.map((w, i) => ({ id: `window-${i}`, url: w.scope })) : []),
    log: problem,
  });
  const agent = host.agent;
  const connectivity = new Connectivity(agent, {
    probed: config.probe !== undefined,
    onChange: (s) => note("network", { online: s.online, source: s.source }),
  });
  const probe = config.probe ? new ReachabilityProbe(config.probe, systemClock, (reachable) => connectivity.probeSays(reachable)) : undefined;
  const server = await serveControl(config.control, (request) => {
    if (request.cmd === "net") {
      connectivity.set(request.set as ManualSetting);
      if (request.set === "auto") void probe?.probeNow();
    }
    const next = agent.nextWakeup();
    return { ...connectivity.status(), registrations: agent.status(), nextWakeup: Number.isFinite(next) ? new Date(next).toISOString() : null };
  });

  try {
    for (const worker of config.serviceWorkers) {
      await host.load({ script: worker.script, scope: worker.scope });
      note("service worker active", { scope: worker.scope, script: worker.script });
    }
  } catch (error) {
    server.close();
    await host.close();
    throw error;
  }
  probe?.start();
  note("syncward agent ready", { store: config.store, control: config.control, preset: config.preset });

  const code = await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      note("stopping", { signal });
      resolve(0);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  probe?.stop();
  server.close();
  await host.close();
  process.off("uncaughtException", stray);
  process.off("unhandledRejection", stray);
  return code;
}

/** The parsed config back in its JSON shape, for re-validation with flags on top. */
function asRaw(config: AgentConfig): Record<string, unknown> {
  const raw: Record<string, unknown> = { ...config };
  for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
  return raw;
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
  process.exit(await main(process.argv.slice(2)));
}
