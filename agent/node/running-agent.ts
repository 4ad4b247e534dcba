// The started parts of one `syncward agent`: the store, the service worker host and its Agent,
// the embedded broker, connectivity, the control socket and the HTTP endpoint, closed in
// reverse order of their start. A reload swaps the config in place: the Agent, its
// registrations and the running workers stay; connectivity is built again as configured.

import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { Agent } from "../agent.js";
import { BrowserScopes, type BrowserScope } from "../browser-scopes.js";
import { systemClock } from "../clock.js";
import { DeviceConnectivity, type MqttOptions } from "../connectivity/device-connectivity.js";
import type { ManualSetting } from "../connectivity/fusion.js";
import type { Scheduler } from "../../wasm-core/binding/scheduler.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import type { AgentConfig, ServiceWorkerConfig } from "./agent-config.js";
import { AgentMetrics } from "./agent-metrics.js";
import type { AgentOutput } from "./agent-output.js";
import { serveControl } from "./control-socket.js";
import type { EmbeddedBroker } from "./embedded-broker.js";
import { DevToolsDispatcher } from "./devtools-dispatcher.js";
import { FileStore } from "./file-store.js";
import { serveHttp, type HttpEndpoint } from "./http-endpoint.js";
import { LastFailures } from "./last-failures.js";
import { fireSync } from "./manual-sync.js";
import { mqttOptions, type MqttSecrets } from "./mqtt-link-options.js";
import { NodeServiceWorkerHost } from "./service-worker-host.js";
import type { PageBridge } from "./page-bridge.js";
import { bridgeTokenFile } from "./bridge-token.js";

export class RunningAgent {
  readonly #host: NodeServiceWorkerHost;
  /** The Agent's dispatcher: browser scopes to what is attached for them, the rest to the host. */
  readonly #browserScopes: BrowserScopes;
  readonly #output: AgentOutput;
  readonly #metrics: AgentMetrics;
  readonly #failures = new LastFailures();
  /** Scopes whose workers run. */
  readonly #loaded = new Set<string>();
  #config: AgentConfig;
  #broker: EmbeddedBroker | undefined;
  #connectivity: DeviceConnectivity | undefined;
  #control: Awaited<ReturnType<typeof serveControl>> | undefined;
  #http: HttpEndpoint | undefined;
  #devtools: DevToolsDispatcher | undefined;
  #bridge: PageBridge | undefined;

  private constructor(config: AgentConfig, host: NodeServiceWorkerHost, browserScopes: BrowserScopes, output: AgentOutput, metrics: AgentMetrics) {
    this.#config = config;
    this.#host = host;
    this.#browserScopes = browserScopes;
    this.#output = output;
    this.#metrics = metrics;
  }

  static async start(config: AgentConfig, scheduler: Scheduler, secrets: MqttSecrets | undefined, output: AgentOutput): Promise<RunningAgent> {
    await mkdir(dirname(config.store), { recursive: true, mode: 0o700 });
    let running: RunningAgent | undefined;
    const metrics = new AgentMetrics(() => (running ? running.#host.agent.status() : []));
    const store = metrics.timed(new FileStore({ path: config.store, log: output.problem }));
    // The workers' IndexedDB, one journal per origin, next to the store.
    const storageDirectory = `${config.store}.indexeddb`;
    await mkdir(storageDirectory, { recursive: true, mode: 0o700 });
    let browserScopes!: BrowserScopes;
    const host = await NodeServiceWorkerHost.start({
      agent: (nodeHost) =>
        Agent.start({
          scheduler: singleTenant(scheduler),
          store,
          dispatcher: (browserScopes = new BrowserScopes(nodeHost)),
          onProblem: output.problem,
          log: (event) => {
            output.event(event);
            metrics.event(event);
            if (running) {
              running.#failures.observe(event);
              running.#connectivity?.registrationsChanged();
            }
          },
        }),
      windowClients: () => {
        const current = running ? running.#config : config;
        return current.windowClient ? current.serviceWorkers.map((w, i) => ({ id: `window-${i}`, url: w.scope })) : [];
      },
      log: output.problem,
      console: output.workerConsole,
      limits: config.workerLimits,
      storageDirectory,
    });
    browserScopes.serve(host.agent);
    running = new RunningAgent(config, host, browserScopes, output, metrics);
    try {
      running.#restoreBrowserScopes();
      await running.#startBroker(secrets);
      running.#connect(secrets);
      await running.#serveControl();
      for (const worker of config.serviceWorkers) await running.#load(worker, true);
      await running.#serveHttp();
      await running.#serveBridge();
      running.#driveChromium();
    } catch (error) {
      await running.close();
      throw error;
    }
    return running;
  }

  /** The stored registrations of allowed browser origins are served (and listed) before any browser calls. */
  #restoreBrowserScopes(): void {
    const nodeScopes = new Set(this.#config.serviceWorkers.map((w) => w.scope));
    for (const scope of this.#host.agent.unservedScopes()) if (!nodeScopes.has(scope) && this.#browserOrigin(scope)) this.#browserScopes.add(scope);
  }

  /** Whether `scope` is of an origin the config lets browsers hand registrations for. */
  #browserOrigin(scope: string): boolean {
    let origin: string;
    try {
      origin = new URL(scope).origin;
    } catch {
      return false;
    }
    // The bridge adds the origins of the app it serves (http://localhost:PORT).
    return (this.#bridge?.origins ?? this.#config.browser?.origins ?? []).includes(origin);
  }

  /**
   * The browser-hosted service worker registration of `scope`, served by this agent (added at
   * the first call): attach the dispatcher that reaches its worker (the page bridge, the
   * DevTools protocol). Throws when its origin is not in `browser.origins`, or a Node worker
   * has that scope.
   */
  browserScope(scope: string): BrowserScope {
    const url = new URL(scope).href;
    if (!this.#browserOrigin(url)) throw new Error(`${new URL(url).origin} is not in browser.origins`);
    if (this.#config.serviceWorkers.some((w) => w.scope === url)) throw new Error(`${url} is the scope of a service worker run in Node`);
    return this.#browserScopes.add(url);
  }

  /** The browser-hosted registrations served now. */
  get browserScopes(): readonly BrowserScope[] {
    return this.#browserScopes.list();
  }

  /** The Agent itself, for the browser dispatchers (its online state, its registrations). */
  get agent(): Agent {
    return this.#host.agent;
  }

  async #startBroker(secrets: MqttSecrets | undefined): Promise<void> {
    const mqtt = this.#config.mqtt;
    if (!mqtt || mqtt.url !== undefined) return;
    // Loaded only when used: aedes costs a device with its own broker several MB of RSS.
    const { startEmbeddedBroker } = await import("./embedded-broker.js");
    this.#broker = await startEmbeddedBroker({ port: mqtt.brokerPort, credential: secrets!.embedded! });
    this.#output.note("embedded MQTT broker", { url: this.#broker.url, credential: mqtt.credentialFile });
  }

  /** Connectivity as the config says, with the own probes of the workers already running. */
  #connect(secrets: MqttSecrets | undefined, manual: ManualSetting = "auto"): void {
    const config = this.#config;
    const output = this.#output;
    let mqtt: MqttOptions | undefined;
    if (config.mqtt) mqtt = mqttOptions(config.mqtt, config.mqtt.url ?? this.#broker!.url, this.#broker !== undefined, secrets!);
    this.#connectivity = new DeviceConnectivity({
      agent: this.#host.agent,
      clock: systemClock,
      mqtt,
      probe: config.probe,
      require: config.connectivity.require,
      settleMs: config.connectivity.settleMs,
      log: output.say,
      onChange: (s) => {
        this.#metrics.online(s.online);
        output.note("network", { online: s.online, metered: s.metered, onBattery: s.onBattery, reason: s.reason });
      },
      onScopeChange: (scope, online) => output.note("scope network", { scope, online }),
    });
    // The Agent hears only changes; on a reload it still holds the old signals' verdict, and
    // new sources must prove themselves (settle) before they make the device online.
    const fused = this.#connectivity.fusion.state;
    this.#host.agent.setConditions(fused);
    this.#metrics.online(fused.online);
    if (manual !== "auto") this.#connectivity.setManual(manual);
    for (const worker of config.serviceWorkers) if (worker.probe && this.#loaded.has(worker.scope)) this.#connectivity.watchScope(worker.scope, worker.probe);
  }

  async #serveControl(): Promise<void> {
    const agent = this.#host.agent;
    this.#control = await serveControl(this.#config.control, async (request) => {
      const connectivity = this.#connectivity!;
      if (request.cmd === "fire") {
        const scopes = [...this.#config.serviceWorkers.map((w) => w.scope), ...this.#browserScopes.list().map((b) => b.scope)];
        const fired = await fireSync(this.#browserScopes, scopes, request.tag, request.scope);
        this.#output.note("sync event fired by hand", { ...fired });
        return fired;
      }
      if (request.cmd === "net") connectivity.setManual(request.set);
      const next = agent.nextWakeup();
      const registrations = agent
        .status()
        .map((r) => ({ ...r, runsIn: this.#runsIn(r.scope), lastFailure: this.#failures.of(r.kind, r.scope, r.tag) ?? null }));
      const devtools = this.#devtools && { devtools: this.#devtools.status() };
      return { ...connectivity.status(), ...devtools, registrations, nextWakeup: Number.isFinite(next) ? new Date(next).toISOString() : null };
    });
  }

  /** Where the worker of `scope` runs, as `sync list` shows it. */
  #runsIn(scope: string): string {
    const browser = this.#browserScopes.get(scope);
    if (!browser) return "node";
    return browser.attachedVia ? `browser (${browser.attachedVia})` : "browser (not connected)";
  }

  /** Start `worker`; `watch`: give its probe to the connectivity in force. */
  async #load(worker: ServiceWorkerConfig, watch: boolean): Promise<void> {
    await this.#host.load({ script: worker.script, scope: worker.scope });
    this.#loaded.add(worker.scope);
    if (watch && worker.probe) this.#connectivity!.watchScope(worker.scope, worker.probe);
    this.#output.note("service worker active", { scope: worker.scope, script: worker.script, ...(worker.probe ? { probe: worker.probe.url } : {}) });
  }

  /**
   * With `browser.devtools` or `browser.launch`: the browser's service workers of the browser
   * origins get their events over the DevTools protocol (its port, or the pipes of the browser
   * the agent launches).
   */
  #driveChromium(): void {
    const browser = this.#config.browser;
    const where = browser?.devtools ? { endpoint: browser.devtools } : browser?.launch && { launch: browser.launch };
    if (!browser || !where) return;
    // After the bridge: it adds the origins of the app it serves.
    const origins = this.#bridge?.origins ?? browser.origins;
    this.#devtools = new DevToolsDispatcher({ ...where, origins }, this.#output.say);
    this.#devtools.start((scope) => this.browserScope(scope));
    this.#output.note("DevTools", { ...("endpoint" in where ? where : { launch: where.launch.join(" ") }), origins: origins.join(",") });
  }

  async #serveHttp(): Promise<void> {
    const address = this.#config.http;
    if (!address) return;
    const registry = this.#metrics.registry;
    this.#http = await serveHttp(address, async () => ({ body: await registry.metrics(), contentType: registry.contentType }));
    this.#output.note("HTTP endpoint", { url: this.#http.url, paths: "/healthz,/metrics" });
  }

  async #serveBridge(): Promise<void> {
    const browser = this.#config.browser;
    if (!browser?.listen) return;
    const token = await bridgeTokenFile(browser.tokenFile);
    // Loaded only when used, with ws.
    const { servePageBridge } = await import("./page-bridge.js");
    this.#bridge = await servePageBridge({
      listen: browser.listen,
      origins: browser.origins,
      token,
      serve: browser.serve,
      log: this.#output.problem,
      note: this.#output.note,
      host: {
        scope: (url) => this.browserScope(url),
        scopes: () => this.#browserScopes.list(),
        forget: (url) => this.#browserScopes.remove(url),
        status: () => {
          const { online, reason, admissionPerDevice } = this.#connectivity!.status();
          return { online, reason, ...(admissionPerDevice === undefined ? {} : { admissionPerDevice }), registrations: this.#host.agent.status() };
        },
        problem: this.#output.problem,
      },
    });
    const app = this.#bridge.appUrl ? { app: this.#bridge.appUrl } : {};
    this.#output.note("page bridge", { url: this.#bridge.url, origins: this.#bridge.origins.join(","), token: browser.tokenFile, ...app });
  }

  /**
   * Put `next` in force (already checked: only what may change while running differs).
   * Workers new to the config start first: one that fails refuses the reload with the old
   * connectivity still in force. Then connectivity is closed and built again, keeping a
   * manual override.
   */
  async reload(next: AgentConfig, secrets: MqttSecrets | undefined): Promise<void> {
    for (const worker of next.serviceWorkers) if (!this.#loaded.has(worker.scope)) await this.#load(worker, false);
    const manual = this.#connectivity!.status().manual;
    await this.#connectivity!.close();
    this.#config = next;
    this.#connect(secrets, manual);
    const s = this.#connectivity!.status();
    this.#output.note("network", { online: s.online, metered: s.metered, onBattery: s.onBattery, reason: s.reason });
  }

  get config(): AgentConfig {
    return this.#config;
  }

  /** What the "ready" line says. */
  readyFields(): Record<string, unknown> {
    const ready = this.#connectivity!.status();
    const config = this.#config;
    return {
      store: config.store,
      control: config.control,
      preset: config.preset,
      mqtt: ready.mqtt?.url ?? "off",
      require: ready.required.join(",") || "nothing",
      online: ready.online,
      reason: ready.reason,
    };
  }

  async close(): Promise<void> {
    await this.#devtools?.close();
    await this.#bridge?.close();
    await this.#http?.close();
    await this.#connectivity?.close();
    this.#control?.close();
    await this.#host.close();
    await this.#broker?.close();
  }
}
