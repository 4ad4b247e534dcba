// `syncward agent`: everything the command line asks for is checked before anything starts
// (flags, config, policy, secrets, the scripts, no other agent on the control socket or the
// store), then the store, the service worker host, the broker, connectivity, the control
// socket and the HTTP endpoint start in that order. SIGHUP reads the config again and puts it in force if
// it is good (else one line, and the old one stays); SIGTERM or SIGINT stops the parts in
// reverse after the store has flushed.

import { access, constants } from "node:fs/promises";
import { SchedulerError } from "../../wasm-core/binding/codes.js";
import type { Scheduler } from "../../wasm-core/binding/scheduler.js";
import { ConfigError, type AgentConfig, type ServiceWorkerConfig } from "./agent-config.js";
import { agentConfigFromArgs } from "./agent-flags.js";
import { AgentOutput } from "./agent-output.js";
import { AGENT_HELP } from "./cli-usage.js";
import { restartNeeded } from "./config-reload.js";
import { assertNoAgentAt } from "./control-socket.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { readMqttSecrets } from "./mqtt-link-options.js";
import { RunningAgent } from "./running-agent.js";
import { lockStore } from "./store-lock.js";
import { SystemdNotifier } from "./systemd-notify.js";

/** Run `syncward agent ARGS` until SIGTERM or SIGINT; resolves with the exit code. */
export async function runAgent(args: string[]): Promise<number> {
  const config = await agentConfigFromArgs(args);
  if (config === "help") {
    process.stdout.write(AGENT_HELP);
    return 0;
  }
  const secrets = config.mqtt && (await readMqttSecrets(config.mqtt));
  const scheduler = await schedulerFor(config);
  await checkScripts(config.serviceWorkers);
  await assertNoAgentAt(config.control);
  const lock = await lockStore(config.store);

  const output = new AgentOutput(config.log);
  const release = output.guardProcess();
  const running = await RunningAgent.start(config, scheduler, secrets || undefined, output).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  const ready = running.readyFields();
  output.note("syncward agent ready", ready);
  const systemd = SystemdNotifier.fromEnvironment(process.env, output.problem);
  systemd?.ready(`online=${String(ready.online)} reason=${String(ready.reason)}`);
  const reloads = serveReloads(args, running, output);
  output.note("stopping", { signal: await stopSignal() });
  reloads.stop();
  await reloads.idle();
  systemd?.stopping();
  await running.close();
  await lock.release();
  release();
  return 0;
}

async function schedulerFor(config: AgentConfig): Promise<Scheduler> {
  try {
    return await createScheduler({ preset: config.preset, policy: config.policy, seed: config.seed });
  } catch (error) {
    if (error instanceof SchedulerError) throw new ConfigError(`policy refused: ${error.message}`);
    throw error;
  }
}

/** A script that cannot be read fails here, before a broker or a socket is started. */
async function checkScripts(workers: ServiceWorkerConfig[]): Promise<void> {
  for (const { script } of workers) {
    try {
      await access(script, constants.R_OK);
    } catch (error) {
      throw new ConfigError(`cannot read service worker ${script}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}

function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
}

/**
 * On each SIGHUP, read the config again (the same flags on top) and put it in force; a config
 * that does not parse, cannot be read or needs a restart is one line and changes nothing.
 * Reloads run one at a time: a SIGHUP during one reloads again after it.
 */
function serveReloads(args: string[], running: RunningAgent, output: AgentOutput): { stop(): void; idle(): Promise<unknown> } {
  let chain: Promise<unknown> = Promise.resolve();
  const reload = async () => {
    try {
      const next = (await agentConfigFromArgs(args)) as AgentConfig;
      const why = restartNeeded(running.config, next);
      if (why) throw new ConfigError(why);
      await checkScripts(next.serviceWorkers);
      await running.reload(next, next.mqtt && (await readMqttSecrets(next.mqtt)));
      output.note("config reloaded", { serviceWorkers: next.serviceWorkers.length, require: running.readyFields().require });
    } catch (error) {
      output.problem(`reload refused, the running config stays: ${(error as Error).message}`);
    }
  };
  const onHangup = () => {
    chain = chain.then(reload);
  };
  process.on("SIGHUP", onHangup);
  return { stop: () => process.off("SIGHUP", onHangup), idle: () => chain };
}
