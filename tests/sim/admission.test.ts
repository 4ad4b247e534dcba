// The backend's admission topic in the simulator, against figures computed here: after the
// whole fleet's link comes back, the kiosk policy sends at the rate the backend offers (its
// capacity × `backend.admission`), never faster in any second when the backend hands out
// slots, and drains the backlog in about backlog / rate; without slots, the same rate comes
// as a Poisson count and some seconds go over; without an admission topic it is the
// outage-sized spread.
import t from "tap";
import { buildReport } from "../../device-sim/report.js";
import { runNotingRegistrations, smallScenario } from "./small-scenario.js";

const DEVICES = 40;
/** 10 requests/s for the 40 devices; the backend offers 80 % of it: 8/s. */
const CAPACITY = 10;
const OFFERED = 8;
const OUTAGE_END = 2 * 3_600_000;

async function run(backend: Record<string, unknown>) {
  const scenario = smallScenario(undefined, {
    devices: DEVICES,
    duration: "3h",
    policies: ["kiosk"],
    link: { up: { mean: "365d", shape: 1 }, down: { median: "1s", p99: "1s" }, captive: 0 },
    stalls: null,
    reboots: { perDay: 0 },
    latency: { median: "100ms", p99: "100ms" },
    workload: { perHour: 60, tags: "unique" },
    backend: { capacityPer1000: (CAPACITY * 1000) / DEVICES, errorRate: 0, retryAfter: "30s", ...backend },
    fleet: [{ outage: "link", at: "1h", for: "1h", fraction: 1 }],
  });
  const { result, registered } = await runNotingRegistrations(scenario);
  const arrivals = [...result.policies.kiosk!.arrivals];
  const report = buildReport([result], 1).policies[0]!;
  return { arrivals, registered, report };
}

t.test("with slots the recovered fleet sends at the offered rate, in every second, and drains in backlog / rate", async (t) => {
  const { arrivals, registered, report } = await run({ admission: OFFERED / CAPACITY, slots: true });
  // The backlog, counted here: every message registered while the links were down.
  const backlog = registered.filter((at) => at >= 3_600_000 && at < OUTAGE_END).length;
  t.ok(backlog > 2000, `a backlog of ${backlog} messages (60 an hour for an hour on 40 devices)`);
  // Seconds, at the offered rate less what the devices queue meanwhile (one a minute each),
  // which shares their slots.
  const expectedDrain = (0.99 * backlog) / (OFFERED - DEVICES / 60);
  const first = OUTAGE_END / 1000;
  // While the bulk drains every device with work waiting has its slot. Towards the end, as
  // devices finish and the backend re-slots the rest, the messages of devices without a slot
  // (0.7/s here) and a re-slot's first points come on top.
  const window = arrivals.slice(first, first + Math.floor(0.8 * expectedDrain));
  t.ok(Math.max(...window) <= OFFERED, `never more than ${OFFERED} in a second while the bulk drains (at most ${Math.max(...window)})`);
  t.ok(window.filter((n) => n >= OFFERED - 1).length >= 0.9 * window.length, "and the offered rate is used: at least 7 in 90 % of those seconds");
  const recovery = report.recoveries[0]!;
  t.ok(recovery.overloadedSeconds <= 3, `the backend is over capacity ${recovery.overloadedSeconds} s at most, in the tail`);
  t.ok(
    Math.abs(recovery.drainMs! / 1000 - expectedDrain) <= 0.1 * expectedDrain,
    `99 % drained in ${(recovery.drainMs! / 1000).toFixed(0)} s, expected ${expectedDrain.toFixed(0)} s (backlog / the offered rate left by new messages)`,
  );
  t.equal(report.dropped, 0, "nothing dropped");
});

t.test("without slots the same rate is a Poisson count: some seconds exceed it", async (t) => {
  const { arrivals } = await run({ admission: OFFERED / CAPACITY, slots: false });
  const first = OUTAGE_END / 1000;
  const window = arrivals.slice(first, first + 200);
  const mean = window.reduce((a, b) => a + b, 0) / window.length;
  t.ok(Math.abs(mean - OFFERED) < 1.5, `about the offered rate on average (${mean.toFixed(1)}/s)`);
  t.ok(Math.max(...window) > OFFERED + 2, `but up to ${Math.max(...window)} in one second`);
});

t.test("without an admission topic the kiosk policy falls back to its reconnect spread", async (t) => {
  const { arrivals } = await run({ admission: 0 });
  const first = OUTAGE_END / 1000;
  // The spread: at most 5 min after a 1 h outage, one draw per registration; 2,400 requests
  // over 300 s is 8/s on average: the first seconds carry far more than the capacity.
  const spread = arrivals.slice(first, first + 300);
  t.ok(Math.max(...spread) > CAPACITY, `a herd of up to ${Math.max(...spread)}/s against a capacity of ${CAPACITY}/s`);
});
