// bench:browser's run of `syncward agent --browser-devtools` (a real agent process) driving a
// real Chromium: the device's MQTT status published "online" → the worker's sync listener
// starting, fired by the agent over the DevTools protocol; and register() → listener while
// online (Chromium fires, the hook hands the registration to the agent, which fires it). The
// broker is aedes on TCP, as a device's firmware would publish to; the agent's settle time is
// 0 (its default adaptive 250 ms after an outage is a choice, not a cost of the path).

import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Aedes } from "aedes";
import { ChromiumProcess } from "../tests/browser/harness/chromium-process.js";
import { SyncTestServer } from "../tests/browser/harness/sync-test-server.js";
import { cli, start } from "../tests/cli/cli-process.js";

const STATUS = "kiosk/status";
const now = () => performance.timeOrigin + performance.now();

export interface DevToolsSamples {
  online: number[];
  register: number[];
}

export async function chromiumDevTools(runs: number, cleanups: (() => Promise<void>)[]): Promise<DevToolsSamples> {
  const dir = await mkdtemp(join(tmpdir(), "syncward-bench-devtools-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const broker = await Aedes.createBroker();
  const tcp = createServer(broker.handle);
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => tcp.close(() => broker.close(() => resolve()))));
  const publish = (payload: string) =>
    new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: "publish", topic: STATUS, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  await publish("offline");

  const app = await SyncTestServer.start({ mode: "auto" });
  cleanups.push(() => app.close());
  const chromium = await ChromiumProcess.launch(join(dir, "profile"));
  cleanups.push(() => chromium.close());
  const control = join(dir, "control.sock");
  const agent = start([
    ...["--browser-origin", app.origin, "--browser-devtools", chromium.endpoint],
    ...["--mqtt", `mqtt://127.0.0.1:${(tcp.address() as { port: number }).port}`, "--device-status", STATUS, "--settle", "0"],
    ...["--store", join(dir, "registrations"), "--control", control],
  ]);
  cleanups.push(async () => void agent.child.kill("SIGKILL"));
  await agent.waitFor(/DevTools: connected/, 30_000);
  const status = () =>
    JSON.parse(spawnSync(process.execPath, [cli, "net", "status", "--control", control], { encoding: "utf8" }).stdout) as {
      online: boolean;
      registrations: { tag: string }[];
    };
  const page = await chromium.open(app.url);
  const register = (tag: string) => page.register(tag);
  const listenerStart = async (tag: string) => (await app.until(`the sync event for ${tag}`, () => app.syncs(tag)[0]))!.at;

  const samples: DevToolsSamples = { online: [], register: [] };
  for (let i = 0; i < runs; i++) {
    const tag = `test-devtools-online-${i}`;
    await publish("offline");
    await app.until("the agent to be offline", () => !status().online);
    await register(tag);
    await app.until("the agent to hold the registration", () => status().registrations.some((r) => r.tag === tag));
    const t0 = now();
    await publish("online");
    samples.online.push((await listenerStart(tag)) - t0);
  }
  await app.until("the agent to be online", () => status().online);
  for (let i = 0; i < runs; i++) {
    const tag = `test-devtools-register-${i}`;
    const t0 = now();
    await register(tag);
    samples.register.push((await listenerStart(tag)) - t0);
  }
  return samples;
}
