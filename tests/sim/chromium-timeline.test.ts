// The chromium policy on a simulated device reproduces Chromium's one-shot timeline: an
// attempt at once, the next 5 min after the first failure, the last (lastChance) 15 min
// after the second, then the registration is dropped. "Online" is the link, so it keeps
// attempting into a dead backend or a captive portal; kiosk waits for the backend instead.
// Three devices share one core and register at different times: each keeps its own
// timeline (a core shared naively between Agents loses other agents' retries).
import t from "tap";
import type { BackgroundServiceEvent } from "../../agent/log.js";
import { AgentDevice } from "../../device-sim/agent-device.js";
import { WALL_EPOCH } from "../../device-sim/device-clock.js";
import { FleetSim } from "../../device-sim/fleet.js";
import type { PolicyName } from "../../device-sim/scenario.js";
import { smallScenario } from "./small-scenario.js";

const MIN = 60_000;
const LATENCY = 100;

function oneDevice(trouble: "backend down" | "captive portal") {
  return smallScenario(undefined, {
    devices: 3,
    duration: "2h",
    policies: ["kiosk", "chromium"],
    link: { up: { mean: "365d", shape: 1 }, down: { median: "1s", p99: "1s" }, captive: trouble === "captive portal" ? 1 : 0 },
    stalls: null,
    latency: { median: `${LATENCY}ms`, p99: `${LATENCY}ms` },
    reboots: { perDay: 0 },
    workload: { perHour: 0 },
    fleet: trouble === "backend down" ? [{ outage: "backend", at: "0s", for: "2h" }] : [],
  });
}

for (const trouble of ["backend down", "captive portal"] as const) {
  t.test(`${trouble}: 0, +5 min, +15 min, lastChance on the third, then dropped`, async (t) => {
    const events: { policy: PolicyName; device: number; at: number; e: BackgroundServiceEvent }[] = [];
    const sim = await FleetSim.create(
      oneDevice(trouble),
      { index: 0, count: 1 },
      { onEvent: (policy, device, e) => events.push({ policy, device, at: e.timestamp - WALL_EPOCH, e }) },
    );
    t.ok(
      sim.world.devices.every((d) => d.linkUp),
      "the links are up the whole time",
    );
    const registeredAt = [60_000, 61_234, 200_000];
    registeredAt.forEach((at, device) =>
      sim.queue.after(at, () => {
        sim.devices.get("chromium")![device]!.message(0);
        sim.devices.get("kiosk")![device]!.message(0);
      }),
    );
    const result = await sim.run();

    registeredAt.forEach((at, device) => {
      const chromium = events.filter((x) => x.policy === "chromium" && x.device === device);
      const attempts = chromium.filter((x) => x.e.eventName === "Dispatched sync event");
      const failures = chromium.filter((x) => x.e.eventName === "sync event failed");
      t.same(
        attempts.map((x) => x.e.eventMetadata["Last Chance"]),
        ["No", "No", "Yes"],
        `#${device}: three attempts, the last with lastChance`,
      );
      t.equal(failures.length, 3);
      t.equal(attempts[0]!.at, at, `#${device}: the first at once`);
      t.equal(failures[0]!.at, at + LATENCY, "each fails after a round trip");
      t.equal(attempts[1]!.at - failures[0]!.at, 5 * MIN, "the second 5 min after the first failure");
      t.equal(attempts[2]!.at - failures[1]!.at, 15 * MIN, "the third 15 min after the second failure");
      t.same(
        failures.map((x) => x.e.eventMetadata["Next Attempt Delay (ms)"]),
        [String(5 * MIN), String(15 * MIN), undefined],
      );
      const completed = chromium.filter((x) => x.e.eventName === "Sync completed");
      t.same(
        completed.map((x) => [x.at, x.e.eventMetadata.Status]),
        [[failures[2]!.at, "attempts exhausted"]],
        "then dropped",
      );
    });
    t.equal(result.policies.chromium!.dropped.attemptsExhausted, 3, "the messages are counted dropped");
    t.equal(result.policies.chromium!.attempts, 9);

    const kiosk = events.filter((x) => x.policy === "kiosk" && x.e.eventName === "Dispatched sync event");
    t.equal(kiosk.length, 0, "kiosk, online only when the backend answers, never attempted");
    t.equal(result.policies.kiosk!.pending, 3, "and still holds the messages");
    t.ok(
      sim.devices.get("kiosk")!.every((d) => (d as AgentDevice).agent!.status().length === 1),
      "each in a registration",
    );
  });
}
