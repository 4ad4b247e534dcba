// bench:browser's run of `syncward agent --browser-devtools` (a real agent process, the device
// of tests/browser/harness/device-agent.ts) driving a real Chromium: the device status
// published "online" on the agent's broker → the worker's sync listener starting, fired by the
// agent over the DevTools protocol; and register() → listener while online (Chromium fires,
// the hook hands the registration to the agent, which makes it durable and fires it). The
// agent's settle time is 0: its default (adaptive, 250 ms after a clean outage) is a choice,
// not a cost of the path.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ChromiumProcess } from "../tests/browser/harness/chromium-process.js";
import { DeviceAgent } from "../tests/browser/harness/device-agent.js";
import { devtoolsWorld } from "../tests/browser/harness/devtools-world.js";
import { SyncTestServer } from "../tests/browser/harness/sync-test-server.js";

const now = () => performance.timeOrigin + performance.now();

export interface DevToolsSamples {
  online: number[];
  register: number[];
  /** The Agent's own online (setConditions, in this process) → listener: the DevTools path alone. */
  agentOnline: number[];
}

export async function chromiumDevTools(runs: number, cleanups: (() => Promise<void>)[]): Promise<DevToolsSamples> {
  const dir = await mkdtemp(join(tmpdir(), "syncward-bench-devtools-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const app = await SyncTestServer.start({ mode: "auto" });
  cleanups.push(() => app.close());
  const chromium = await ChromiumProcess.launch(join(dir, "profile"));
  cleanups.push(() => chromium.close());
  const device = await DeviceAgent.start(app.origin, ["--browser-devtools", chromium.endpoint, "--settle", "0"]);
  cleanups.push(() => device.close());
  await device.waitFor(/DevTools: connected/, 30_000);
  /** The agent's last word on the network. */
  const online = () => device.lines.findLast((line) => /network online=/.test(line))?.includes("online=true") ?? false;
  const page = await chromium.open(app.url);
  const listenerStart = async (tag: string) => (await app.until(`the sync event for ${tag}`, () => app.syncs(tag)[0]))!.at;

  const samples: DevToolsSamples = { online: [], register: [], agentOnline: await agentOnline(runs, cleanups) };
  for (let i = 0; i < runs; i++) {
    const tag = `test-devtools-online-${i}`;
    await device.deviceStatus(false);
    await app.until("the agent to be offline", () => !online());
    await page.register(tag);
    await app.until("the agent to hold the registration", () => device.list().some((r) => r.tag === tag));
    const t0 = now();
    await device.deviceStatus(true);
    samples.online.push((await listenerStart(tag)) - t0);
  }
  await app.until("the agent to be online", online);
  for (let i = 0; i < runs; i++) {
    const tag = `test-devtools-register-${i}`;
    const t0 = now();
    await page.register(tag);
    samples.register.push((await listenerStart(tag)) - t0);
  }
  return samples;
}

/** An Agent in this process with the DevTools dispatcher: its setConditions({online: true}) → listener. */
async function agentOnline(runs: number, cleanups: (() => Promise<void>)[]): Promise<number[]> {
  const world = await devtoolsWorld({ teardown: (close) => void cleanups.push(async () => void (await close())) });
  const page = await world.open();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const tag = `test-devtools-agent-${i}`;
    world.agent.setConditions({ online: false });
    await page.register(tag);
    await world.held(tag);
    const t0 = now();
    world.agent.setConditions({ online: true });
    samples.push((await world.fired(tag))[0]!.at - t0);
  }
  return samples;
}
