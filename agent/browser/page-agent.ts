// The Agent as the leader tab runs it: the Wasm core, the IndexedDB store, the worker
// dispatcher and the page's connectivity. It serves every service worker registration of
// the origin (their stored sync registrations come back as each is served) and answers the
// calls all tabs send it.

import { Agent, type AgentServiceWorker } from "../agent.js";
import type { AgentCall, AgentStatus } from "../agent-call.js";
import { noActiveWorker } from "../web-api/register-errors.js";
import { systemClock } from "../clock.js";
import { Scheduler } from "../../wasm-core/binding/scheduler.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { textLine } from "../log.js";
import { IndexedDBStore } from "./indexeddb-store.js";
import type { PageConfig } from "./page-config.js";
import { PageConnectivity, type MqttLinkModule } from "./page-connectivity.js";
import { WorkerDispatcher } from "./worker-dispatcher.js";

export type { AgentCall, AgentStatus } from "../agent-call.js";

/** A service worker registration the Agent serves, and the object it is in this realm. */
interface Served {
  registration: ServiceWorkerRegistration;
  served: AgentServiceWorker;
}

export class PageAgent {
  readonly #agent: Agent;
  readonly #connectivity: PageConnectivity;
  readonly #container: ServiceWorkerContainer;
  readonly #served = new Map<string, Served>();

  private constructor(agent: Agent, connectivity: PageConnectivity, container: ServiceWorkerContainer) {
    this.#agent = agent;
    this.#connectivity = connectivity;
    this.#container = container;
  }

  static async start(config: PageConfig, core: BufferSource, loadMqtt: () => Promise<MqttLinkModule>, problem: (line: string) => void): Promise<PageAgent> {
    let scheduler: Scheduler;
    try {
      scheduler = await Scheduler.instantiate(core, { preset: config.preset, policy: config.policy, seed: config.seed });
    } catch (error) {
      problem(`the policy was refused (${(error as Error).message}); using the ${config.preset} preset as it is`);
      scheduler = await Scheduler.instantiate(core, { preset: config.preset, seed: config.seed });
    }
    const container = navigator.serviceWorker;
    let page: PageAgent | undefined;
    const agent = await Agent.start({
      scheduler: singleTenant(scheduler, systemClock),
      store: new IndexedDBStore(),
      dispatcher: new WorkerDispatcher({
        registration: (scope) => (page ? page.#stillServed(scope) : Promise.resolve(undefined)),
        inactive: (scope, registration) => void (page && page.#whenActive(scope, registration)),
      }),
      clock: systemClock,
      onProblem: problem,
      log: config.log ? (event) => console.info(textLine(event)) : undefined,
      syncPermitted: () => config.permissions.backgroundSync,
      periodicSyncPermitted: () => config.permissions.periodicBackgroundSync,
    });
    const connectivity = new PageConnectivity(
      config,
      systemClock,
      {
        setConditions: (state) => {
          if (config.log) console.info(`syncward: online=${state.online} (${state.reason})`);
          agent.setConditions(state);
        },
        setPace: (share, slotAt) => agent.setPace(share, slotAt),
      },
      problem,
      loadMqtt,
    );
    page = new PageAgent(agent, connectivity, container);
    const registrations = await container.getRegistrations();
    for (const registration of registrations) page.#serve(registration);
    // Stored registrations of a service worker registration that was unregistered while no
    // Agent ran go now, or a later registration of the same scope would inherit them.
    for (const scope of agent.unservedScopes()) {
      if (!registrations.some((r) => r.scope === scope)) void agent.addServiceWorker(scope, { hasWindowClient: () => false }).unregister();
    }
    return page;
  }

  #serve(registration: ServiceWorkerRegistration): AgentServiceWorker {
    const known = this.#served.get(registration.scope);
    if (known) return known.served;
    // The caller (a tab, a dedicated or shared worker, or a service worker through a tab)
    // checked for an active worker and a top-level window client before it called, and
    // confirms when its register() resolved.
    const served = this.#agent.addServiceWorker(registration.scope, { active: true, hasWindowClient: () => true, confirmsResolution: true });
    this.#served.set(registration.scope, { registration, served });
    return served;
  }

  /**
   * The registration of `scope` now, served. A browser hands a realm one object per service
   * worker registration, so a different object (or none) means the one served was unregistered
   * elsewhere (the page's own unregister() says so at once: "forget"; Chromium even revives
   * the same registration when the scope is registered again before its clients go): its sync
   * registrations go with it, as in Chromium, before anything can see them (an event for its
   * worker, a new registration of the scope inheriting its tags).
   */
  async #current(scope: string): Promise<ServiceWorkerRegistration | undefined> {
    const registration = (await this.#container.getRegistrations()).find((r) => r.scope === scope);
    const known = this.#served.get(scope);
    if (known && known.registration !== registration) await this.#forget(scope);
    if (registration) this.#serve(registration);
    return registration;
  }

  async #forget(scope: string): Promise<void> {
    const known = this.#served.get(scope);
    this.#served.delete(scope);
    await known?.served.unregister();
  }

  /** The registration an event of `scope` was decided for, if it is still the scope's. */
  async #stillServed(scope: string): Promise<ServiceWorkerRegistration | undefined> {
    const served = this.#served.get(scope)?.registration;
    const now = await this.#current(scope);
    return served && now === served ? now : undefined;
  }

  /** Tell the Agent once `registration`, still the one served for `scope`, has an active worker again. */
  #whenActive(scope: string, registration: ServiceWorkerRegistration): void {
    const check = () => {
      const known = this.#served.get(scope);
      if (!registration.active || known?.registration !== registration) return;
      registration.removeEventListener("updatefound", watch);
      known.served.setActive(true);
    };
    const watch = () => {
      for (const worker of [registration.installing, registration.waiting]) worker?.addEventListener("statechange", check);
      check();
    };
    registration.addEventListener("updatefound", watch);
    watch();
  }

  async handle(call: AgentCall): Promise<string[] | AgentStatus | void> {
    if (call.op === "status") {
      const { online, reason } = this.#connectivity.state;
      const admissionPerDevice = this.#connectivity.admissionPerDevice;
      return { online, reason, ...(admissionPerDevice === undefined ? {} : { admissionPerDevice }), registrations: this.#agent.status() };
    }
    if (call.op === "forget") return this.#forget(call.scope);
    const registration = await this.#current(call.scope);
    if (!registration) {
      if (call.op === "register") throw noActiveWorker(call.kind);
      return call.op === "getTags" ? [] : undefined;
    }
    const served = this.#serve(registration);
    switch (call.op) {
      case "register":
        return call.kind === "one-shot" ? served.sync.register(call.tag) : served.periodicSync.register(call.tag, { minInterval: call.minInterval });
      case "getTags":
        return call.kind === "one-shot" ? served.sync.getTags() : served.periodicSync.getTags();
      case "unregister":
        return served.periodicSync.unregister(call.tag);
      case "resolved":
        return served.resolved(call.kind, call.tag);
    }
  }

  async close(): Promise<void> {
    this.#connectivity.close();
    await this.#agent.close();
  }
}
