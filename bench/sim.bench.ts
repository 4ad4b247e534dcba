// npm run bench:sim [-- SIZES] [-- --scenario NAME]: the simulator's own speed and memory
// for 24 simulated hours at 1,000 / 10,000 / 100,000 devices (or the sizes given), all four
// policies, default shards and workers, as `syncward sim` runs them. Prints device-hours per
// wall-clock second, simulated events per second (in all and per core busy: the main thread,
// or each worker) and the peak resident memory of the whole process (workers included).
// Beside them, the floor: what the real Agent alone costs per message (bench/agent-cycle.ts),
// times the registrations the run's Agent policies made, spread over the workers, and the
// run's wall time as a multiple of that floor.
// A benchmark, not a test: the figures depend on the machine and on what else it runs.

import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { namedOverrides } from "../device-sim/named-scenarios.js";
import { simPolicy } from "../device-sim/policies.js";
import { buildReport } from "../device-sim/report.js";
import { parseScenario } from "../device-sim/scenario.js";
import { defaultShards, runShards } from "../device-sim/shard-runner.js";
import { agentMicrosPerMessage } from "./agent-cycle.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { scenario: { type: "string" }, duration: { type: "string", default: "24h" }, quantum: { type: "string", default: "0" } },
});
const sizes = positionals.length > 0 ? positionals.map(Number) : [1_000, 10_000, 100_000];
const cores = availableParallelism();

process.stdout.write(
  `syncward sim benchmark · ${values.scenario ?? "default scenario"} · ${values.duration} · node ${process.version} · ${cores} cores (${cpus()[0]?.model.trim() ?? "?"})\n\n`,
);
// A floor: the least of three runs (the first pays for compiling the Agent's code).
let agentMicros = Infinity;
for (let run = 0; run < 3; run++) agentMicros = Math.min(agentMicros, await agentMicrosPerMessage(1_000, 100));
process.stdout.write(
  `the real Agent alone (1,000 Agents on one core, 100 messages each: register → sync event → acknowledged, no world; least of 3 runs): ${agentMicros.toFixed(1)} µs per message\n\n`,
);
process.stdout.write(
  `${"devices".padStart(9)} ${"shards".padStart(6)} ${"workers".padStart(7)} ${"device-h".padStart(10)} ${"wall s".padStart(8)} ${"device-h/s".padStart(10)} ${"events".padStart(12)} ${"events/s".padStart(10)} ${"per core".padStart(9)} ${"peak RSS MB".padStart(11)} ${"Agent floor s".padStart(13)} ${"wall ÷ floor".padStart(12)}\n`,
);

for (const devices of sizes) {
  const scenario = parseScenario({ ...(values.scenario ? { extends: values.scenario } : {}), devices, duration: values.duration }, namedOverrides);
  const shards = defaultShards(devices);
  const workers = cores > 1 ? cores : 0;
  (globalThis as { gc?: () => void }).gc?.();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  const started = performance.now();
  const results = await runShards(scenario, shards, [...Array(shards).keys()], { workers, quantumMs: Number(values.quantum) });
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss(), ...results.map((r) => r.run.peakRssBytes));
  const report = buildReport(results, wallMs);
  const deviceHours = (devices * scenario.durationMs) / 3_600_000;
  const agentRegistrations = report.policies.filter((p) => simPolicy(p.policy, scenario).kind === "agent").reduce((sum, p) => sum + p.registered, 0);
  const floorSeconds = (agentRegistrations * agentMicros) / 1e6 / Math.max(1, workers);
  process.stdout.write(
    `${devices.toLocaleString("en-US").padStart(9)} ${String(shards).padStart(6)} ${String(workers).padStart(7)} ${deviceHours.toLocaleString("en-US").padStart(10)} ${(wallMs / 1000).toFixed(1).padStart(8)} ` +
      `${Math.round(report.run.deviceHoursPerSecond).toLocaleString("en-US").padStart(10)} ${report.run.events.toLocaleString("en-US").padStart(12)} ${Math.round(
        report.run.events / (wallMs / 1000),
      )
        .toLocaleString("en-US")
        .padStart(10)} ${Math.round(report.run.events / (wallMs / 1000) / Math.max(1, workers))
        .toLocaleString("en-US")
        .padStart(9)} ${Math.round(peakRss / 1e6)
        .toLocaleString("en-US")
        .padStart(11)} ${floorSeconds.toFixed(1).padStart(13)} ${`${(wallMs / 1000 / floorSeconds).toFixed(1)}×`.padStart(12)}\n`,
  );
}
