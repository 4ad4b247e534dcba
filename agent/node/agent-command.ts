// `syncward agent`: everything the command line asks for is checked before anything starts
// (flags, config, policy, secrets, the scripts, no other agent on the control socket), then
// the store, the service worker host, the broker, connectivity and the control socket start
// in that order, and SIGTERM or SIGINT stops them in reverse after the store has flushed.

import { access, constants, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { Agent } from "../agent.js";
import { systemClock } from "../clock.js";
import { DeviceConnectivity, type MqttOptions } from "../connectivity/device-connectivity.js";
import { SchedulerError } from "../core/codes.js";
import type { Scheduler } from "../core/scheduler.js";
import { singleTenant } from "../core/scheduler-endpoint.js";
import { ConfigError, type AgentConfig, type ServiceWorkerConfig } from "./agent-config.js";
import { agentConfigFromArgs } from "./agent-flags.js";
import { AgentOutput } from "./agent-output.js";
import { AGENT_HELP } from "./cli-usage.js";
import { assertNoAgentAt, serveControl } from "./control-socket.js";
import { createScheduler } from "./core-wasm.js";
import type { EmbeddedBroker } from "./embedded-broker.js";
import { FileStore } from "./file-store.js";
import { LastFailures } from "./last-failures.js";
import { fireSync } from "./manual-sync.js";
import { mqttOptions, readMqttSecrets, type MqttSecrets } from "./mqtt-link-options.js";
import { NodeServiceWorkerHost } from "./service-worker-host.js";
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

  const output = new AgentOutput(config.log);
  const release = output.guardProcess();
  const running = await RunningAgent.start(config, scheduler, secrets || undefined, output);
  const ready = running.readyFields();
  output.note("syncward agent ready", ready);
  const systemd = SystemdNotifier.fromEnvironment(process.env, output.problem);
  systemd?.ready(`online=${String(ready.online)} reason=${String(ready.reason)}`);
  output.note("stopping", { signal: await stopSignal() });
  systemd?.stopping();
  await running.close();
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

/** The started parts of one agent, closed in reverse order of their start. */
class RunningAgent {
  readonly #host: NodeServiceWorkerHost;
  #broker: EmbeddedBroker | undefined;
  #connectivity: DeviceConnectivity | undefined;
  #control: Awaited<ReturnType<typeof serveControl>> | undefined;
  readonly #failures = new LastFailures();
  readonly #config: AgentConfig;

  private constructor(config: AgentConfig, host: NodeServiceWorkerHost) {
    this.#config = config;
    this.#host = host;
  }

  static async start(config: AgentConfig, scheduler: Scheduler, secrets: MqttSecrets | undefined, output: AgentOutput): Promise<RunningAgent> {
    await mkdir(dirname(config.store), { recursive: true, mode: 0o700 });
    const store = new FileStore({ path: config.store, log: output.problem });
    let running: RunningAgent | undefined;
    const host = await NodeServiceWorkerHost.start({
      agent: (dispatcher) => Agent.start({
        scheduler: singleTenant(scheduler), store, dispatcher, onProblem: output.problem,
        log: (event) => {
          output.event(event);
          if (running) {
            running.#failures.observe(event);
            running.#connectivity?.registrationsChanged();
          }
        },
      }),
      windowClients: () => (config.windowClient ? config.serviceWorkers.map((w, i) => ({ id: `window-${i}`, url: w.scope })) : []),
      log: output.problem,
      console: output.workerConsole,
      limits: config.workerLimits,
    });
    running = new RunningAgent(config, host);
    try {
      await running.#connect(secrets, output);
      await running.#serveControl(output);
      await running.#loadWorkers(output);
    } catch (error) {
      await running.close();
      throw error;
    }
    return running;
  }

  async #connect(secrets: MqttSecrets | undefined, output: AgentOutput): Promise<void> {
    const config = this.#config;
    let mqtt: MqttOptions | undefined;
    if (config.mqtt) {
      let url = config.mqtt.url;
      if (url === undefined) {
        // Loaded only when used: aedes costs a device with its own broker several MB of RSS.
        const { startEmbeddedBroker } = await import("./embedded-broker.js");
        this.#broker = await startEmbeddedBroker({ port: config.mqtt.brokerPort });
        url = this.#broker.url;
        output.note("embedded MQTT broker", { url });
      }
      mqtt = mqttOptions(config.mqtt, url, this.#broker !== undefined, secrets!);
    }
    this.#connectivity = new DeviceConnectivity({
      agent: this.#host.agent, clock: systemClock, mqtt, probe: config.probe,
      require: config.connectivity.require, settleMs: config.connectivity.settleMs, log: output.say,
      onChange: (s) => output.note("network", { online: s.online, metered: s.metered, onBattery: s.onBattery, reason: s.reason }),
      onScopeChange: (scope, online) => output.note("scope network", { scope, online }),
    });
  }

  async #serveControl(output: AgentOutput): Promise<void> {
    const connectivity = this.#connectivity!;
    const agent = this.#host.agent;
    const scopes = this.#config.serviceWorkers.map((w) => w.scope);
    this.#control = await serveControl(this.#config.control, async (request) => {
      if (request.cmd === "fire") {
        const fired = await fireSync(this.#host, scopes, request.tag, request.scope);
        output.note("sync event fired by hand", { ...fired });
        return fired;
      }
      if (request.cmd === "net") connectivity.setManual(request.set);
      const next = agent.nextWakeup();
      const registrations = agent.status().map((r) => ({ ...r, lastFailure: this.#failures.of(r.kind, r.scope, r.tag) ?? null }));
      return { ...connectivity.status(), registrations, nextWakeup: Number.isFinite(next) ? new Date(next).toISOString() : null };
    });
  }

  async #loadWorkers(output: AgentOutput): Promise<void> {
    for (const worker of this.#config.serviceWorkers) {
      await this.#host.load({ script: worker.script, scope: worker.scope });
      if (worker.probe) this.#connectivity!.watchScope(worker.scope, worker.probe);
      output.note("service worker active", { scope: worker.scope, script: worker.script, ...(worker.probe ? { probe: worker.probe.url } : {}) });
    }
  }

  /** What the "ready" line says. */
  readyFields(): Record<string, unknown> {
    const ready = this.#connectivity!.status();
    const config = this.#config;
    return {
      store: config.store, control: config.control, preset: config.preset, mqtt: ready.mqtt?.url ?? "off",
      require: ready.required.join(",") || "nothing", online: ready.online, reason: ready.reason,
    };
  }

  async close(): Promise<void> {
    await this.#connectivity?.close();
    this.#control?.close();
    await this.#host.close();
    await this.#broker?.close();
  }
}
