// Same scenario, seed and shard count: the same report, whether the shards run in worker
// threads or in this thread. Another seed: another world and another report.
import t from "tap";
import { buildReport, outcome } from "../../device-sim/report.js";
import { runShard } from "../../device-sim/fleet.js";
import { runShards } from "../../device-sim/shard-runner.js";
import { smallScenario } from "./small-scenario.js";

const scenario = smallScenario("fleet-outage", {
  devices: 40,
  duration: "3h",
  fleet: [
    { outage: "backend", at: "1h", for: "10m" },
    { outage: "link", at: "2h", for: "30m", fraction: 0.5 },
  ],
  link: { captive: 0.05 },
  reboots: { perDay: 4 },
});

async function report(seed: number, workers: number) {
  const results = await runShards({ ...scenario, seed }, 2, [0, 1], { workers, quantumMs: 0 });
  return outcome(buildReport(results, 1));
}

t.test("the same seed gives the same report, in this thread or in worker threads", async (t) => {
  const inThread = await report(7, 0);
  const inWorkers = await report(7, 2);
  t.same(inWorkers, inThread);
  t.ok(
    inThread.policies.every((p) => p.registered > 300 && p.delivered > 0),
    "messages were sent",
  );
  t.ok(
    inThread.policies.some((p) => p.dropped > 0),
    "and some were lost by someone",
  );

  const other = await report(8, 0);
  t.not(JSON.stringify(other.policies), JSON.stringify(inThread.policies), "another seed, other figures");
  t.not(JSON.stringify(other.charts.connectivity), JSON.stringify(inThread.charts.connectivity), "because another world");
});

t.test("a policy's figures do not depend on the policies beside it, so a shard's policies run apart merge exactly", async (t) => {
  t.ok(scenario.stalls, "the world has link stalls (drawn lazily, when requests look at the link)");
  // runShard interleaves every policy in one queue; runShards runs each policy apart.
  const all = outcome(buildReport([await runShard({ ...scenario, seed: 3 }, { index: 0, count: 1 })], 1));
  const alone = outcome(buildReport([await runShard({ ...scenario, seed: 3 }, { index: 0, count: 1 }, { policies: ["naive"] })], 1));
  t.same(
    alone.policies,
    all.policies.filter((p) => p.policy === "naive"),
    "naive alone = naive beside the others",
  );
  for (const workers of [0, 2]) {
    const apart = outcome(buildReport(await runShards({ ...scenario, seed: 3 }, 1, [0], { workers, quantumMs: 0 }), 1));
    t.same(apart, all, `one shard's policies run apart (${workers} workers) = all of them in one queue`);
  }
});
