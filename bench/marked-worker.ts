// A Node-hosted service worker whose sync listener stamps the moment it starts, for the
// benchmarks that measure how long an event takes to reach a listener. The listener runs in
// the worker's thread: it writes the moment (on the clock both threads share, the epoch in
// high resolution) to its console, which reaches this thread as a message.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Agent } from "../agent/agent.js";
import { MemoryStore } from "../agent/memory-store.js";
import { createScheduler } from "../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../wasm-core/binding/scheduler-endpoint.js";
import { NodeServiceWorkerHost } from "../agent/node/service-worker-host.js";
import type { SyncManager } from "../agent/web-api/sync-manager.js";

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
  await writeFile(script, `self.addEventListener("sync", () => { console.log(String(performance.timeOrigin + performance.now())); });`);
  let agent!: Agent;
  let marked = 0;
  const stamps = {
    log: (at: string) => {
      marked = Number(at) - performance.timeOrigin;
    },
    error: () => {},
  } as unknown as Console;
  const host = await NodeServiceWorkerHost.start({
    agent: async (dispatcher) =>
      (agent = await Agent.start({ scheduler: singleTenant(await createScheduler()), store: new MemoryStore(), dispatcher, onProblem: () => {} })),
    windowClients: () => [{ id: "w", url: "http://localhost/" }],
    log: () => {},
    console: () => stamps,
  });
  const sw = await host.load({ script, scope: "http://localhost/" });
  return {
    agent,
    sync: sw.registration.sync,
    get marked() {
      return marked;
    },
    clear() {
      marked = 0;
    },
    close: () => host.close(),
  };
}
