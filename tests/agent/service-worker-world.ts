// A real Agent with a real service worker host, for the host's tests: workers are loaded from
// script text written to a temporary directory, and every Background Service event is kept.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../agent/agent.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { NodeServiceWorkerHost, type ServiceWorkerLimits, type WindowClientInfo } from "../../agent/node/service-worker-host.js";
import type { Policy } from "../../wasm-core/binding/policy.js";
import type { BackgroundServiceEvent } from "../../agent/log.js";

export const POLICY: Partial<Policy> = {
  maxAttempts: 3,
  initialRetryDelay: 50,
  retryDelayFactor: 1,
  eventTimeout: 300,
  lastChanceEventTimeout: 300,
};

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function world(
  t: Teardown,
  options: {
    policy?: Partial<Policy>;
    scope?: string;
    clients?: WindowClientInfo[];
    store?: MemoryStore;
    limits?: ServiceWorkerLimits;
    durableStorage?: boolean;
  } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), "syncward-sw-"));
  const events: BackgroundServiceEvent[] = [];
  const lines: string[] = [];
  const clients: WindowClientInfo[] = options.clients ?? [];
  const scope = options.scope ?? "http://localhost:8080/";
  const scheduler = await createScheduler({ preset: "chromium", policy: { ...POLICY, ...options.policy } });
  const host = await NodeServiceWorkerHost.start({
    agent: (dispatcher) =>
      Agent.start({ scheduler: singleTenant(scheduler), store: options.store ?? new MemoryStore(), dispatcher, log: (e) => events.push(e) }),
    windowClients: () => clients,
    log: (line) => lines.push(line),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.durableStorage ? { storageDirectory: dir } : {}),
  });
  host.agent.setConditions({ online: true });
  t.teardown(async () => {
    await host.close();
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, code: string) => {
    const path = join(dir, name);
    await writeFile(path, code);
    return path;
  };
  return {
    host,
    agent: host.agent,
    events,
    lines,
    clients,
    scope,
    dir,
    file,
    load: async (code: string, at = scope) => host.load({ script: await file(`sw-${Math.random().toString(36).slice(2)}.js`, code), scope: at }),
    named: (name: string, tag?: string) => events.filter((e) => e.eventName === name && (tag === undefined || e.instanceId === tag)),
  };
}

/** Poll until `ready()` holds (real timers). */
export async function until(ready: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start `server` on a free loopback port until the test ends; its URL is the worker's scope. */
export async function listen(t: Teardown, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}
