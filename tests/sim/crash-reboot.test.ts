// Devices that crash and reboot every hour or so, with events in flight and the wall clock
// behind after each boot, lose nothing that was durable: whenever a device is up, every
// message its app still has to send has its registration in the store, the running Agent
// serves exactly what the store holds, and no message is lost to a crash (Workbox, whose
// in-flight fetches live only in memory, does lose some in the same world).
import t from "tap";
import { SCOPE, AgentDevice } from "../../device-sim/agent-device.js";
import { FleetSim } from "../../device-sim/fleet.js";
import { buildReport } from "../../device-sim/report.js";
import { smallScenario } from "./small-scenario.js";

const scenario = smallScenario(undefined, {
  devices: 40,
  duration: "4h",
  link: { up: { mean: "40m", shape: 0.8 }, down: { median: "1m", p99: "30m" }, captive: 0.1 },
  stalls: { p: 0.02, r: 0.12, step: "100ms", long: { probability: 0.2, min: "10s", alpha: 1.2, max: "4m" } },
  latency: { median: "2s", p99: "8s" },
  reboots: { perDay: 30, downtime: { median: "40s", p99: "10m" }, rtc: false, ntpSync: "1m" },
  workload: { perHour: 20, tags: "unique" },
  fleet: [{ outage: "backend", at: "90m", for: "15m" }],
});

t.test("crash-and-reboot devices lose nothing durable", async (t) => {
  const sim = await FleetSim.create(scenario, { index: 0, count: 1 });
  const agents = [...sim.devices].filter(([p]) => p !== "workbox").flatMap(([p, list]) => list.map((d, i) => ({ p, i, d: d as AgentDevice })));
  let checks = 0;
  let bad = 0;
  const firstBad: string[] = [];
  for (let at = 5 * 60_000; at <= scenario.durationMs; at += 5 * 60_000) {
    await sim.queue.run(at);
    for (const { p, i, d } of agents) {
      if (!sim.world.devices[i]!.on || !d.agent) continue;
      const stored = new Set([...d.store.snapshot.values()].map((r) => r.tag));
      const live = new Set(d.agent.status().map((r) => r.tag));
      const waiting = d.waitingTags();
      checks++;
      const missing = waiting.filter((tag) => !stored.has(tag));
      const differ = stored.size !== live.size || [...stored].some((tag) => !live.has(tag));
      if (missing.length > 0 || differ) {
        bad++;
        if (firstBad.length < 3) firstBad.push(`${p} #${i} at ${at}: missing ${missing.join(",")} stored ${[...stored].join(",")} live ${[...live].join(",")}`);
      }
    }
  }
  t.ok(checks > 1000, `${checks} checks of running devices`);
  t.equal(bad, 0, firstBad.join(" | ") || "every waiting message is durable, and the Agent serves what the store holds");
  t.ok(
    agents.every(({ d }) => [...d.store.snapshot.values()].every((r) => r.scope === SCOPE)),
    "records of the app's scope only",
  );

  const report = buildReport([await sim.run()], 1);
  const byPolicy = Object.fromEntries(report.policies.map((p) => [p.policy, p]));
  for (const p of report.policies) {
    t.equal(p.delivered + p.dropped + p.pending, p.registered, `${p.policy}: conservation`);
    t.ok(p.inFlightAtCrash > 0, `${p.policy}: ${p.inFlightAtCrash} attempts were in flight at a crash`);
  }
  for (const name of ["kiosk", "chromium", "naive"]) t.equal(byPolicy[name]!.droppedBy.lostInCrash, 0, `${name}: nothing lost in a crash`);
  t.ok(byPolicy.workbox!.droppedBy.lostInCrash > 0, `workbox: ${byPolicy.workbox!.droppedBy.lostInCrash} messages lost in crashes (memory only)`);
  t.equal(byPolicy.kiosk!.problems, 0, "no agent problems");
});
