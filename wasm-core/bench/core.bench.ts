// npm run bench:core — the core's size, start-up, memory and per-decision cost, measured and
// printed (never asserted: figures depend on the machine). The reference model runs the same
// workloads in the same process, so the ratio shows what the Wasm core buys.

import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";
import { coreModule, createScheduler } from "../binding/core-wasm.js";
import type { Scheduler } from "../binding/scheduler.js";
import type { DomainId, RegistrationId, ScopeId } from "../binding/codes.js";
import { createReferenceScheduler } from "../../tests/reference/model.js";

/** What the workloads need; the typed Scheduler and the reference model both provide it. */
type Driver = Pick<Scheduler, "createDomain" | "createScope" | "setConditions" | "register" | "resolved" | "complete" | "drain">;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rows: [string, string][] = [];
const report = (name: string, value: string) => {
  rows.push([name, value]);
  console.log(`${name.padEnd(58)} ${value}`);
};

/** `live` registrations waiting in back-off, so the timer heap holds them all. */
function populate(s: Driver, live: number) {
  const domain = s.createDomain();
  const scope = s.createScope(domain);
  s.setConditions(domain, { online: true }, 0);
  // A host drains after every input, so the decision queue never holds more than a few.
  for (let i = 0; i < live; i++) {
    const id = s.register(scope, 0);
    s.resolved(id, 0);
    for (const d of s.drain()) if (d.type === "fire") s.complete(d.id, "failure", 0);
  }
  return scope;
}

/** ns per register → resolved (fires) → drain → complete(success), for at most `budgetMs`. */
function cycles(s: Driver, scope: ScopeId, budgetMs: number, maxCycles: number) {
  let n = 0;
  const start = performance.now();
  while (n < maxCycles && (n & 255 || performance.now() - start < budgetMs)) {
    const id = s.register(scope, 1);
    s.resolved(id, 1);
    s.drain();
    s.complete(id, "success", 1);
    n++;
  }
  return ((performance.now() - start) * 1e6) / n;
}

/** The same cycle on the raw exports, median of 5 rounds: what a host in a hurry pays. */
async function rawCycles(live: number, perRound: number) {
  const s = await createScheduler();
  const scope = populate(s, live);
  const raw = s.raw;
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) {
      const id = raw.register(scope, 0, 0, 0, 1);
      raw.resolved(id, 1);
      raw.poll();
      raw.complete(id, 0, 0, 1);
    }
    rounds.push(((performance.now() - start) * 1e6) / perRound);
  }
  return { ns: median(rounds), s };
}

/** Domains flapping offline → online with `perDomain` parked registrations each. */
function flapping(s: Driver, domains: number, perDomain: number, flaps: number, budgetMs: number) {
  const ids: RegistrationId[] = [];
  const ds: DomainId[] = [];
  for (let d = 0; d < domains; d++) {
    const domain = s.createDomain();
    const scope = s.createScope(domain);
    ds.push(domain);
    for (let k = 0; k < perDomain; k++) {
      const id = s.register(scope, 0);
      s.resolved(id, 0);
      ids.push(id);
    }
  }
  let now = 1;
  let edges = 0;
  const start = performance.now();
  for (let f = 0; f < flaps && performance.now() - start < budgetMs; f++) {
    for (const domain of ds) {
      s.setConditions(domain, { online: true }, now);
      const fired = s.drain();
      s.setConditions(domain, { online: false }, now);
      for (const d of fired) s.complete(d.id, "aborted", now);
      edges++;
    }
    now++;
  }
  const elapsed = performance.now() - start;
  return { nsPerEdge: (elapsed * 1e6) / edges, nsPerRegistration: (elapsed * 1e6) / (edges * perDomain) };
}

/**
 * 10,000 domains × 10 registrations in back-off (so every domain has a deadline), then the raw
 * register→fire→complete cycle round-robin over the domains: each new event deadline is its
 * domain's earliest, so the heap of domains moves on every fire and every completion.
 */
async function perDomainTimers(domains: number, perDomain: number, cycles: number) {
  const s = await createScheduler();
  const scopes: ScopeId[] = [];
  for (let d = 0; d < domains; d++) {
    const domain = s.createDomain();
    scopes.push(s.createScope(domain));
    s.setConditions(domain, { online: true }, 0);
  }
  for (let k = 0; k < perDomain; k++) {
    for (const scope of scopes) {
      const id = s.register(scope, 0);
      s.resolved(id, 0);
      for (const d of s.drain()) if (d.type === "fire") s.complete(d.id, "failure", 0);
    }
  }
  const raw = s.raw;
  const start = performance.now();
  for (let i = 0; i < cycles; i++) {
    const id = raw.register(scopes[i % domains]!, 0, 0, 0, 1);
    raw.resolved(id, 1);
    raw.poll();
    raw.complete(id, 0, 0, 1);
  }
  const cycleNs = ((performance.now() - start) * 1e6) / cycles;
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let d = 0; d < domains; d++) sink += s.nextWakeupOf(d as DomainId);
    rounds.push(((performance.now() - t0) * 1e6) / domains);
  }
  if (!Number.isFinite(sink)) throw new Error("a domain without a deadline");
  return { cycleNs, wakeupNs: median(rounds) };
}

async function main() {
  console.log("syncward core benchmark (Node " + process.version + ")\n");
  const bytes = await readFile(new URL(import.meta.resolve("syncward/core.wasm")));
  report("release .wasm size (goal ≤ 12 KB)", `${fmt(bytes.length)} B (${fmt(gzipSync(bytes).length)} B gzipped)`);
  const component = await readFile(new URL("../../../scheduler.component.wasm", import.meta.url)).catch(() => undefined);
  if (component) report("component size", `${fmt(component.length)} B`);

  const compileAndInstantiate: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await WebAssembly.instantiate(bytes);
    compileAndInstantiate.push(performance.now() - t0);
  }
  const module = await coreModule();
  const instantiate: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await WebAssembly.instantiate(module);
    instantiate.push(performance.now() - t0);
  }
  report("instantiate from compiled module, median (goal ≤ 1 ms)", `${fmt(median(instantiate), 3)} ms`);
  report("compile + instantiate from bytes, median", `${fmt(median(compileAndInstantiate), 3)} ms`);

  const results: Record<string, number> = {};
  for (const live of [1000, 100_000, 1_048_576]) {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const { ns, s } = await rawCycles(live, 500_000);
    results[`raw ${live}`] = ns;
    if (live === 1_048_576) {
      const rss = process.memoryUsage().rss - rssBefore;
      report("bytes per live registration, core tables (goal ≤ 64)", `${fmt(s.memoryInUse / live, 1)} B`);
      report("bytes per live registration, Wasm linear memory", `${fmt(s.raw.memory.buffer.byteLength / live, 1)} B`);
      report("bytes per live registration, process RSS growth", `${fmt(rss / live, 1)} B`);
    }
    report(`cycle register→fire→complete, raw, ${fmt(live)} live (goal ≤ 300 ns at 1M)`, `${fmt(ns)} ns`);
    const typed = await createScheduler();
    const scope = populate(typed, live);
    const typedNs = cycles(typed, scope, 1500, 2_000_000);
    results[`typed ${live}`] = typedNs;
    report(`cycle register→fire→complete, typed Scheduler, ${fmt(live)} live`, `${fmt(typedNs)} ns`);
  }

  const perDomain = await perDomainTimers(10_000, 10, 500_000);
  report("per-domain timers, 10,000 domains × 10: raw cycle", `${fmt(perDomain.cycleNs)} ns`);
  report("nextWakeupOf(domain), typed, 10,000 domains", `${fmt(perDomain.wakeupNs)} ns`);

  const wasmFlap = flapping(await createScheduler(), 10_000, 10, 50, 3000);
  report(
    "domain flapping, 10,000 domains × 10 parked: per online edge",
    `${fmt(wasmFlap.nsPerEdge)} ns (${fmt(wasmFlap.nsPerRegistration)} ns per registration)`,
  );

  console.log("\nreference model (tests/reference/model.ts) on the same workloads:");
  for (const live of [1000, 100_000, 1_048_576]) {
    const model = createReferenceScheduler();
    const populateStart = performance.now();
    const scope = populate(model, live);
    const populateMs = performance.now() - populateStart;
    const ns = cycles(model, scope, 3000, 20_000);
    report(`model cycle, ${fmt(live)} live (populate ${fmt(populateMs)} ms)`, `${fmt(ns)} ns = ${fmt(ns / results[`typed ${live}`]!, 1)}× the typed Wasm core`);
  }
  const modelFlap = flapping(createReferenceScheduler(), 10_000, 10, 50, 3000);
  report("model domain flapping: per online edge", `${fmt(modelFlap.nsPerEdge)} ns = ${fmt(modelFlap.nsPerEdge / wasmFlap.nsPerEdge, 1)}× the Wasm core`);
}

await main();
