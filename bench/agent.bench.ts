// npm run bench:agent — durable registrations against the disk's own fsync rate (one at a
// time, with a backlog of up to a million, and a burst of 100,000), the idle memory of a
// running `syncward agent`, and the latency from "online" to the service worker's listener
// running. Figures are printed, never asserted.

import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { Agent } from "../agent/agent.js";
import { createScheduler } from "../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../wasm-core/binding/scheduler-endpoint.js";
import { FileStore } from "../agent/node/file-store.js";
import { startMarkedWorker } from "./marked-worker.js";
import { rawFsyncRate } from "./raw-fsync-rate.js";
import type { Dispatcher } from "../agent/dispatcher.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const report = (name: string, value: string) => console.log(`${name.padEnd(62)} ${value}`);
const idle: Dispatcher = { dispatch: () => new Promise(() => {}) };
const MB = 1024 * 1024;

/** An offline Agent over a fresh FileStore in `dir` (nothing fires, so only durability costs). */
async function offlineAgent(dir: string) {
  const store = new FileStore({ path: join(dir, "store") });
  const agent = await Agent.start({
    scheduler: singleTenant(await createScheduler({ policy: { maxRegistrations: 2_000_000 } })),
    store,
    dispatcher: idle,
    onProblem: () => {},
  });
  const sw = agent.addServiceWorker("http://localhost/", { hasWindowClient: () => true });
  agent.setConditions({ online: false });
  return { store, agent, sw };
}

/**
 * Median and mean ms of one awaited register() after `stored` registrations are already
 * durable. The backlog's own writes are flushed to the disk first (sync(1) and a pause), so
 * that its writeback does not land in the measured fsyncs.
 */
async function registerCost(base: string, stored: number, samples: number): Promise<{ median: number; mean: number }> {
  const dir = await mkdtemp(join(base, `cost-${stored}-`));
  const { agent, sw } = await offlineAgent(dir);
  for (let done = 0; done < stored; done += 100_000) {
    await Promise.all(Array.from({ length: Math.min(100_000, stored - done) }, (_, i) => sw.sync.register(`stored-${done + i}`)));
  }
  spawnSync("sync");
  await new Promise((r) => setTimeout(r, 1000));
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await sw.sync.register(`probe-${i}`);
    times.push(performance.now() - start);
  }
  await agent.close();
  await rm(dir, { recursive: true, force: true });
  return { median: median(times), mean: times.reduce((a, b) => a + b, 0) / samples };
}

async function durableRegistrations(base: string) {
  const raw = await rawFsyncRate(base);
  report("disk: append 100 B + fsync, one at a time (the limit)", `${fmt(raw)} /s`);

  const dir = await mkdtemp(join(base, "sequential-"));
  const { agent, sw } = await offlineAgent(dir);
  const n = 1000;
  const start = performance.now();
  for (let i = 0; i < n; i++) await sw.sync.register(`seq-${i}`);
  const sequential = n / ((performance.now() - start) / 1000);
  await agent.close();
  report("register() resolved after fsync, one at a time (goal ≥ 0.5×)", `${fmt(sequential)} /s = ${fmt(sequential / raw, 2)}× the disk`);

  const costs: number[] = [];
  for (const stored of [10, 1_000, 100_000, 1_000_000]) {
    const { median: ms, mean } = await registerCost(base, stored, 500);
    costs.push(ms);
    report(`one durable register() with ${fmt(stored)} already stored`, `${fmt(ms, 3)} ms median, ${fmt(mean, 3)} ms mean`);
  }
  report("largest / smallest median (goal ≤ 1.5)", `${fmt(Math.max(...costs) / Math.min(...costs), 2)}×`);
}

/** 100,000 register() calls at once, with the heap's and the process's peak sampled meanwhile. */
async function burst(base: string) {
  const dir = await mkdtemp(join(base, "burst-"));
  const { store, agent, sw } = await offlineAgent(dir);
  const rssBefore = process.memoryUsage.rss();
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const writesBefore = store.writes;
  const start = performance.now();
  const n = 100_000;
  await Promise.all(Array.from({ length: n }, (_, i) => sw.sync.register(`burst-${i}`)));
  const ms = performance.now() - start;
  peak = Math.max(peak, process.memoryUsage.rss());
  clearInterval(sampler);
  const writes = store.writes - writesBefore;
  await agent.close();
  report(`burst of ${fmt(n)} register() calls`, `${fmt(ms)} ms (${fmt(n / (ms / 1000))} /s) in ${writes} write(s)`);
  report("peak RSS during the burst (goal ≤ 300 MB)", `${fmt(peak / MB)} MB (${fmt(rssBefore / MB)} MB before)`);
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
    // Bounded by time, not turns: the listener's stamp comes from its thread, and on a busy
    // machine a slow one would otherwise be dropped from the samples rather than counted.
    const deadline = t0 + 1000;
    while (worker.marked === 0 && performance.now() < deadline) await new Promise((r) => setImmediate(r));
    if (worker.marked > 0) samples.push(worker.marked - t0);
  }
  await worker.close();
  report(
    "online → sync listener running, in process (goal ≤ 5 ms median)",
    `${fmt(median(samples), 3)} ms median, ${fmt(Math.max(...samples), 3)} ms max (${samples.length} samples)`,
  );
}

// Measured twice: connected to an external broker's place (--no-mqtt, the footprint on a
// device whose firmware runs the broker) and with the embedded aedes broker of `npm start`.
async function idleRss(dir: string, label: string, mqtt: string[]) {
  const script = join(dir, "idle-sw.js");
  await writeFile(script, `self.addEventListener("sync", (event) => event.waitUntil(Promise.resolve()));`);
  const cli = fileURLToPath(new URL("../../dist/cli/syncward.js", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      cli,
      "agent",
      "--sw",
      script,
      "--scope",
      "http://localhost/",
      "--store",
      join(dir, `idle-store-${label}`),
      "--control",
      join(dir, `idle-${label}.sock`),
      ...mqtt,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) =>
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve();
    }),
  );
  await new Promise((r) => setTimeout(r, 3000));
  const status = await readFile(`/proc/${child.pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  report(`idle RSS of syncward agent with one service worker, ${label} (goal ≤ 60 MB)`, `${fmt(rss, 1)} MB`);
}

console.log(`syncward agent benchmark (Node ${process.version})\n`);
const dir = await mkdtemp(join(tmpdir(), "syncward-bench-"));
await burst(dir);
await durableRegistrations(dir);
await onlineToListener(dir);
await idleRss(dir, "no MQTT", ["--no-mqtt"]);
await idleRss(dir, "embedded broker", ["--broker-port", "0"]);
