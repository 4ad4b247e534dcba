// syncward's script for dedicated and shared workers (dist/worker.js):
// `importScripts("/syncward/worker.js")` in a classic worker or `import "/syncward/worker.js"`
// in a module worker, before the app's own code. WebIDL exposes `SyncManager` and
// `PeriodicSyncManager` in every worker; where the engine also gives workers
// `navigator.serviceWorker` (WebKit; Chromium does not), the registration's `sync` and
// `periodicSync` work there as in a page: the worker makes register()'s checks (an active
// worker, a top-level window of the origin, asked of the service worker) and hands the call
// to the origin's Agent, which runs in a tab with page.js, over the tabs' BroadcastChannel.
// A worker never runs an Agent itself. It follows `self.syncwardConfig.mode` set before it,
// as sw.js does.

import type { AgentCall } from "./page-agent.js";
import { AGENT_CHANNEL, LeaderLink, NO_PAGE_SCRIPT } from "./leader-link.js";
import { installPageApi } from "./page-api.js";

const global = globalThis as { syncwardConfig?: { mode?: unknown }; registration?: unknown };
const report = (line: string) => console.warn(`syncward: ${line}`);

/** Hand `call` to the Agent, unless no tab runs one (a call would wait for it forever). */
async function viaLeader(link: LeaderLink, call: AgentCall): Promise<unknown> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  const held = locks && (await locks.query()).held?.some((lock) => lock.name === AGENT_CHANNEL);
  if (held === false) throw new DOMException(NO_PAGE_SCRIPT, "UnknownError");
  return link.call(call);
}

function startWorker(): void {
  if (global.registration !== undefined) return report("worker.js belongs in a dedicated or shared worker (a service worker loads sw.js); it did nothing here");
  if (typeof ServiceWorkerRegistration !== "function") return report("this worker has no ServiceWorkerRegistration: nothing to serve");
  const mode = global.syncwardConfig?.mode === "force" ? "force" : "auto";
  // Without navigator.serviceWorker no registration is reachable here: the engine's own
  // interfaces stay, unless syncward is to serve whatever the engine has.
  if (!("serviceWorker" in navigator) && mode === "auto") return;
  let link: LeaderLink | undefined;
  installPageApi({ mode, call: (call) => viaLeader((link ??= new LeaderLink(AGENT_CHANNEL, undefined, report)), call), onTakeOver: () => {} });
}

startWorker();
