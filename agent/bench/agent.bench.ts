// npm run bench:agent — durable registrations per second, the idle memory of a running
// `syncward agent`, and the latency from "online" to the service worker's listener running.
// Figures are printed, never asserted.

import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { Agent } from "../agent.js";
import { createScheduler } from "../node/core-wasm.js";
import { FileStore } from "../node/file-store.js";
import { startMarkedWorker } from "./marked-worker.js";
import type { Dispatcher } from "../dispatcher.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const report = (name: string, value: string) => console.log(`${name.padEnd(62)} ${value}`);
const idle: Dispatcher = { dispatch: () => new Promise(() => {}) };

async function durableRegistrations(dir: string) {
  const store = new FileStore({ path: join(dir, "bench-store") });
  const agent = await Agent.start({ scheduler: await createScheduler(), store, dispatcher: idle, onProblem: () => {} });
  const sw = agent.addServiceWorker("http://localhost/", { hasWindowClient: () => true });
  agent.setConditions({ online: false });
  const n = 500;
  let start = performance.now();
  for (let i = 0; i < n; i++) await sw.sync.register(`seq-${i}`);
  const sequential = n / ((performance.now() - start) / 1000);
  const writesBefore = store.writes;
  start = performance.now();
  await Promise.all(Array.from({ length: 2000 }, (_, i) => sw.sync.register(`burst-${i}`)));
  const burst = 2000 / ((performance.now() - start) / 1000);
  const burstWrites = store.writes - writesBefore;
  await agent.close();
  report("register() resolved after fsync, one at a time", `${fmt(sequential)} /s`);
  report("register() burst of 2,000 (group commit)", `${fmt(burst)} /s in ${burstWrites} write(s)`);
}

async function onlineToListener(dir: string) {
  const worker = await startMarkedWorker(dir);
  const { agent } = worker;
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) {
    agent.setConditions({ online: false });
    await worker.sync.register(`t${i}`);
    await new Promise((r) => setTimeout(r, 2));
    worker.clear();
    const t0 = performance.now();
    agent.setConditions({ online: true });
    for (let spins = 0; worker.marked === 0 && spins < 1000; spins++) await new Promise((r) => setImmediate(r));
    if (worker.marked > 0) samples.push(worker.marked - t0);
  }
  await worker.close();
  report("online → sync listener running, in process (goal ≤ 5 ms median)", `${fmt(median(samples), 3)} ms median, ${fmt(Math.max(...samples), 3)} ms max (${samples.length} samples)`);
}

// Measured twice: connected to an external broker's place (--no-mqtt, the footprint on a
// device whose firmware runs the broker) and with the embedded aedes broker of `npm start`.
async function idleRss(dir: string, label: string, mqtt: string[]) {
  const script = join(dir, "idle-sw.js");
  await writeFile(script, `self.addEventListener("sync", (event) => event.waitUntil(Promise.resolve()));`);
  const cli = fileURLToPath(new URL("../node/cli.js", import.meta.url));
  const child = spawn(process.execPath, [cli, "agent", "--sw", script, "--scope", "http://localhost/", "--store", join(dir, `idle-store-${label}`), "--control", join(dir, `idle-${label}.sock`), ...mqtt], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => { if (d.toString().includes("ready")) resolve(); }));
  await new Promise((r) => setTimeout(r, 3000));
  const status = await readFile(`/proc/${child.pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  report(`idle RSS of syncward agent with one service worker, ${label} (goal ≤ 60 MB)`, `${fmt(rss, 1)} MB`);
}

console.log(`syncward agent benchmark (Node ${process.version})\n`);
const dir = await mkdtemp(join(tmpdir(), "syncward-bench-"));
await durableRegistrations(dir);
await onlineToListener(dir);
await idleRss(dir, "no MQTT", ["--no-mqtt"]);
await idleRss(dir, "embedded broker", ["--broker-port", "0"]);
