// A Node-hosted service worker whose sync listener stamps the moment it starts, for the
// benchmarks that measure how long an event takes to reach a listener.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Agent } from "../agent.js";
import { MemoryStore } from "../memory-store.js";
import { createScheduler } from "../node/core-wasm.js";
import { singleTenant } from "../core/scheduler-endpoint.js";
import { NodeServiceWorkerHost } from "../node/service-worker-host.js";
import type { SyncManager } from "../web-api/sync-manager.js";

export interface MarkedWorker {
  agent: Agent;
  sync: SyncManager;
  /** performance.now() when a sync listener last started; 0 after `clear()`. */
  readonly marked: number;
  clear(): void;
  close(): Promise<void>;
}

export async function startMarkedWorker(dir: string): Promise<MarkedWorker> {
  const script = join(dir, "latency-sw.js");
  await writeFile(script, `self.addEventListener("sync", (event) => { self.mark(event.tag); });`);
  let agent!: Agent;
  const host = await NodeServiceWorkerHost.start({
    agent: async (dispatcher) => (agent = await Agent.start({ scheduler: singleTenant(await createScheduler()), store: new MemoryStore(), dispatcher, onProblem: () => {} })),
    windowClients: () => [{ id: "w", url: "http://localhost/" }],
    log: () => {},
  });
  const sw = await host.load({ script, scope: "http://localhost/" });
  let marked = 0;
  (sw.global as Record<string, unknown>).mark = () => { marked = performance.now(); };
  return {
    agent,
    sync: sw.registration.sync,
    get marked() { return marked; },
    clear() { marked = 0; },
    close: () => host.close(),
  };
}
