// A Chromium with its DevTools port open (--remote-debugging-port=0, a fresh profile), the
// demo app served by the tests' server, and an Agent whose dispatcher reaches the browser over
// the DevTools protocol, with a durable store in a temporary directory: what
// tests/browser/chromium-devtools.test.ts and the benchmark drive.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../../agent/agent.js";
import { BrowserScopes, type BrowserScope } from "../../../agent/browser-scopes.js";
import type { BackgroundServiceEvent } from "../../../agent/log.js";
import { DevToolsDispatcher } from "../../../agent/node/devtools-dispatcher.js";
import { FileStore } from "../../../agent/node/file-store.js";
import type { Policy } from "../../../wasm-core/binding/policy.js";
import { createScheduler } from "../../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../../wasm-core/binding/scheduler-endpoint.js";
import { pageConfig } from "../environment.js";
import { ChromiumProcess, type AppPage } from "./chromium-process.js";
import { SyncTestServer, type WorkerRecord } from "./sync-test-server.js";

export interface DevToolsWorld {
  chromium: ChromiumProcess;
  server: SyncTestServer;
  /** The DevTools endpoint, http://127.0.0.1:PORT. */
  endpoint: string;
  agent: Agent;
  dispatcher: DevToolsDispatcher;
  events: BackgroundServiceEvent[];
  problems: string[];
  /** The app's scope, served by the agent once its worker is active. */
  scope: string;
  /** Start the dispatcher (done at once unless `connect: false`); resolves once it is connected. */
  connect(): Promise<void>;
  /** Open the app; resolves once its worker is active (and, if connected, the agent serves its scope). */
  open(): Promise<AppPage>;
  served(): BrowserScope | undefined;
  /** Resolves once the agent holds a registration of `tag`. */
  held(tag: string): Promise<unknown>;
  /** Resolves once the agent holds no registration. */
  settled(): Promise<unknown>;
  /** Resolves with the listener's records of `tag` once there are `count`. */
  fired(tag: string, count?: number): Promise<WorkerRecord[]>;
  /** The same for periodicsync events. */
  firedPeriodic(tag: string, count?: number): Promise<WorkerRecord[]>;
  close(): Promise<void>;
}

/** The world of one test, closed at its end. */
export async function devtoolsWorld(
  t: { teardown(fn: () => unknown): void },
  options: { policy?: Partial<Policy>; args?: string[]; connect?: boolean } = {},
): Promise<DevToolsWorld> {
  const dir = mkdtempSync(join(tmpdir(), "syncward-devtools-"));
  const server = await SyncTestServer.start(pageConfig("chromium-native"));
  const chromium = await ChromiumProcess.launch(join(dir, "profile"), options.args);
  const endpoint = chromium.endpoint;
  const events: BackgroundServiceEvent[] = [];
  const problems: string[] = [];
  const dispatcher = new DevToolsDispatcher({ endpoint, origins: [server.origin] }, (line) => problems.push(line));
  // The agent's routing as `syncward agent` has it, with no Node-hosted worker.
  const scopes = new BrowserScopes({ dispatch: () => Promise.reject(new Error("not a browser scope")) });
  const agent = await Agent.start({
    scheduler: singleTenant(await createScheduler({ preset: "chromium", policy: options.policy })),
    store: new FileStore({ path: join(dir, "registrations"), log: (line) => problems.push(line) }),
    dispatcher: scopes,
    log: (event) => events.push(event),
    onProblem: (line) => problems.push(line),
  });
  agent.setConditions({ online: false });
  scopes.serve(agent);
  let served: BrowserScope | undefined;
  const connect = async () => {
    dispatcher.start((scope) => (served = scopes.add(scope)));
    await dispatcher.connected();
  };
  if (options.connect !== false) await connect();
  const scope = server.url;
  const world: DevToolsWorld = {
    chromium,
    server,
    endpoint,
    agent,
    dispatcher,
    events,
    problems,
    scope,
    connect,
    async open() {
      const page = await chromium.open(server.url);
      if (options.connect !== false) await server.until("the agent to serve the app's scope", () => served !== undefined);
      return page;
    },
    served: () => served,
    held: (tag) => server.until(`the agent to hold ${tag}`, () => agent.status().find((r) => r.tag === tag)),
    settled: () => server.until("the agent to hold no registration", () => agent.status().length === 0),
    fired: (tag, count = 1) =>
      server.until(`${count} sync events for ${tag}`, () => server.syncs(tag).length >= count && server.syncs(tag), 10_000 + 5_000 * count),
    firedPeriodic: (tag, count = 1) =>
      server.until(
        `${count} periodicsync events for ${tag}`,
        () => server.periodicSyncs(tag).length >= count && server.periodicSyncs(tag),
        10_000 + 5_000 * count,
      ),
    async close() {
      await dispatcher.close();
      await agent.close();
      await chromium.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
  t.teardown(() => world.close());
  return world;
}
