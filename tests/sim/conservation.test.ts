// Every message the app queued ends delivered, dropped or still pending: none vanishes and
// none is counted twice, for every policy, in every built-in scenario and in a harsh one.
import t from "tap";
import { runShard } from "../../device-sim/fleet.js";
import { buildReport } from "../../device-sim/report.js";
import { smallScenario } from "./small-scenario.js";

const cases: [string, ReturnType<typeof smallScenario>][] = [
  ["commute-cellular", smallScenario("commute-cellular", { devices: 30, duration: "3h" })],
  ["store-wifi", smallScenario("store-wifi", { devices: 30, duration: "3h" })],
  [
    "fleet-outage",
    smallScenario("fleet-outage", {
      devices: 30,
      duration: "3h",
      fleet: [
        { outage: "backend", at: "1h", for: "15m" },
        { outage: "broker", at: "90m", for: "5m" },
        { outage: "link", at: "2h", for: "20m", fraction: 0.5 },
      ],
    }),
  ],
  [
    "harsh",
    smallScenario(undefined, {
      devices: 30,
      duration: "3h",
      link: { up: { mean: "20m", shape: 0.7 }, down: { median: "2m", p99: "1h" }, captive: 0.2 },
      stalls: { p: 0.05, r: 0.1, step: "100ms", long: { probability: 0.1, min: "20s", alpha: 1.1, max: "5m" } },
      reboots: { perDay: 12, downtime: { median: "1m", p99: "20m" } },
      workload: { perHour: 20, tags: "coalesce" },
      backend: { capacityPer1000: 2, errorRate: 0.05, retryAfter: "10s" },
      fleet: [{ outage: "backend", at: "40m", for: "20m" }],
    }),
  ],
];

for (const [name, scenario] of cases) {
  t.test(name, async (t) => {
    const report = buildReport([await runShard(scenario, { index: 0, count: 1 })], 1);
    const registered = report.policies[0]!.registered;
    t.ok(registered > 50, `${registered} messages queued`);
    for (const p of report.policies) {
      t.equal(p.registered, registered, `${p.policy}: the same world queued the same messages`);
      t.equal(p.delivered + p.dropped + p.pending, p.registered, `${p.policy}: ${p.delivered} delivered + ${p.dropped} dropped + ${p.pending} pending`);
      t.equal(
        p.dropped,
        Object.values(p.droppedBy).reduce((a, b) => a + b, 0),
        `${p.policy}: every drop has a reason`,
      );
      t.equal(p.latencyMs.samples, p.delivered, `${p.policy}: one latency per delivery`);
      t.equal(p.problems, 0, `${p.policy}: no agent problems${p.firstProblem ? ` (${p.firstProblem})` : ""}`);
    }
  });
}
