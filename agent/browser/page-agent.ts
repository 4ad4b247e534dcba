// The Agent as the leader tab runs it: the Wasm core, the IndexedDB store, the worker
// dispatcher and the page's connectivity. It serves every service worker registration of
// the origin (their stored sync registrations come back as each is served) and answers the
// calls all tabs send it.

import { Agent, type AgentServiceWorker, type RegistrationStatus } from "../agent.js";
import { systemClock } from "../clock.js";
import { Scheduler } from "../core/scheduler.js";
import { singleTenant } from "../core/scheduler-endpoint.js";
import { textLine } from "../log.js";
import { IndexedDBStore } from "./indexeddb-store.js";
import type { PageConfig } from "./page-config.js";
import { PageConnectivity, type MqttLinkModule } from "./page-connectivity.js";
import { WorkerDispatcher } from "./worker-dispatcher.js";
import type { Kind } from "./worker-protocol.js";

/** One call to the Agent, from any tab. Its arguments were converted by the calling tab's SyncManager. */
export type AgentCall =
  | { op: "register"; scope: string; kind: Kind; tag: string; minInterval: number }
  | { op: "getTags"; scope: string; kind: Kind }
  | { op: "unregister"; scope: string; kind: "periodic"; tag: string }
  | { op: "status" };

export interface AgentStatus {
  online: boolean;
  /** Which connectivity evidence decided. */
  reason: string;
  registrations: RegistrationStatus[];
}

export class PageAgent {
  readonly #agent: Agent;
  readonly #connectivity: PageConnectivity;
  readonly #served = new Map<string, AgentServiceWorker>();

  private constructor(agent: Agent, connectivity: PageConnectivity) {
    this.#agent = agent;
    this.#connectivity = connectivity;
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
      dispatcher: new WorkerDispatcher({ container, onGone: (scope) => void (page && page.#forget(scope)) }),
      clock: systemClock,
      onProblem: problem,
      log: config.log ? (event) => console.info(textLine(event)) : undefined,
    });
    const connectivity = new PageConnectivity(config, systemClock, (state) => {
      if (config.log) console.info(`syncward: online=${state.online} (${state.reason})`);
      agent.setConditions(state);
    }, problem, loadMqtt);
    page = new PageAgent(agent, connectivity);
    for (const registration of await container.getRegistrations()) page.#serve(registration.scope);
    return page;
  }

  #serve(scope: string): AgentServiceWorker {
    let served = this.#served.get(scope);
    if (!served) {
      // The calling tab checked for an active worker; a window client is the calling tab itself
      // (a worker's own calls come through a window, or are refused in the worker).
      served = this.#agent.addServiceWorker(scope, { active: true, hasWindowClient: () => true });
      this.#served.set(scope, served);
    }
    return served;
  }

  async #forget(scope: string): Promise<void> {
    const served = this.#served.get(scope);
    this.#served.delete(scope);
    await served?.unregister();
  }

  async handle(call: AgentCall): Promise<string[] | AgentStatus | void> {
    if (call.op === "status") {
      const { online, reason } = this.#connectivity.state;
      return { online, reason, registrations: this.#agent.status() };
    }
    const served = this.#serve(call.scope);
    switch (call.op) {
      case "register":
        return call.kind === "one-shot" ? served.sync.register(call.tag) : served.periodicSync.register(call.tag, { minInterval: call.minInterval });
      case "getTags":
        return call.kind === "one-shot" ? served.sync.getTags() : served.periodicSync.getTags();
      case "unregister":
        return served.periodicSync.unregister(call.tag);
    }
  }

  async close(): Promise<void> {
    this.#connectivity.close();
    await this.#agent.close();
  }
}
