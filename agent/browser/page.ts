// syncward's page script (dist/page.js): `<script type="module" src="/syncward/page.js">`
// (or page.classic.js as a classic script), after an optional `syncwardConfig` (see
// page-config.ts). It installs the page's Background Sync API where the engine lacks it or
// has it disabled, elects one leader tab per origin to run the Agent with the Wasm core, and
// answers the calls of the origin's workers. `globalThis.syncward` reports what it did.

import { AGENT_CHANNEL, LeaderLink } from "./leader-link.js";
import type { AgentCall } from "../agent-call.js";
import { LeaderAgent, type LeaderStatus } from "./leader-agent.js";
import { PageAgent } from "./page-agent.js";
import { installPageApi } from "./page-api.js";
import { readPageConfig } from "./page-config.js";
import type { MqttLinkModule } from "./page-connectivity.js";
import { answerWorkerCalls } from "./worker-calls.js";

/** `globalThis.syncward`. */
export interface SyncwardPage {
  /** "polyfill" while syncward serves the API, "native" while the engine's own does, "unavailable" without service workers. */
  readonly mode: "polyfill" | "native" | "unavailable";
  /** Whether this tab runs the origin's Agent. */
  readonly leading: boolean;
  /**
   * The Agent's view: online, why, every registration with its state and attempts, and who
   * decided: "device agent" over the page bridge, or "page" (while syncward serves).
   */
  status(): Promise<LeaderStatus>;
}

/**
 * Start syncward in this page. `core` is build/scheduler.wasm; `mqttLinkURL` is where
 * dist/mqtt-link.js is, next to the page script.
 */
export function startPage(core: BufferSource, mqttLinkURL: string): SyncwardPage {
  const problem = (line: string) => console.warn(`syncward: ${line}`);
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator) || typeof ServiceWorkerRegistration === "undefined") {
    const unavailable: SyncwardPage = {
      mode: "unavailable",
      leading: false,
      status: () => Promise.reject(new DOMException("No service workers here.", "NotSupportedError")),
    };
    return publish(unavailable);
  }
  const config = readPageConfig((globalThis as { syncwardConfig?: unknown }).syncwardConfig, location.href, problem);
  let link: LeaderLink | undefined;
  let leader: LeaderAgent | undefined;
  const agent = () => {
    if (link) return link;
    const mine = new LeaderLink(
      AGENT_CHANNEL,
      async () => {
        // The device's agent decides when the bridge answers; else this tab's own Agent.
        const own = () => PageAgent.start(config, core, () => import(mqttLinkURL) as Promise<MqttLinkModule>, problem);
        const chosen = new LeaderAgent(config.bridge, own, problem);
        if (link === mine) leader = chosen;
        else void chosen.close();
        return (call: AgentCall) => chosen.handle(call);
      },
      problem,
    );
    return (link = mine);
  };
  // A page leaving, for good or into the back/forward cache (where WebKit keeps its Web Lock
  // and freezes its timers), stops leading so that another tab can; one that comes back from
  // the cache stands for election again.
  addEventListener("pagehide", () => {
    link?.close();
    void leader?.close();
    link = leader = undefined;
  });
  addEventListener("pageshow", (event) => {
    if (event.persisted && api.serving) agent();
  });
  const api = installPageApi({ mode: config.mode, call: (call) => agent().call(call), onTakeOver: () => void agent() });
  answerWorkerCalls(api, navigator.serviceWorker, problem);
  return publish({
    get mode() {
      return api.serving ? "polyfill" : "native";
    },
    get leading() {
      return link?.leading ?? false;
    },
    status: () =>
      api.serving
        ? (agent().call({ op: "status" }) as Promise<LeaderStatus>)
        : Promise.reject(new DOMException("syncward is not serving: the browser's own Background Sync is.", "InvalidStateError")),
  });
}

function publish(page: SyncwardPage): SyncwardPage {
  Object.defineProperty(globalThis, "syncward", { value: page, configurable: true, enumerable: false, writable: false });
  return page;
}
