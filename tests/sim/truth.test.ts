// Figures of the simulator checked against values computed here by hand, for the three places
// where it once told something other than the truth: a request still travelling at the end,
// a fractional backend capacity split over shards, and reconnects still waiting at the end;
// and the backlog a recovery leaves, and how long it takes to drain, from the event log.
import t from "tap";
import { Backend } from "../../device-sim/backend.js";
import { FleetSim, shardRange } from "../../device-sim/fleet.js";
import { buildReport } from "../../device-sim/report.js";
import { Rng } from "../../device-sim/rng.js";
import { runNotingRegistrations, smallScenario } from "./small-scenario.js";

/** A world with nothing random in it but the workload: the link stays up, nothing stalls or reboots. */
const steady = {
  link: { up: { mean: "365d", shape: 1 }, down: { median: "1s", p99: "1s" }, captive: 0 },
  stalls: null,
  reboots: { perDay: 0 },
  backend: { capacityPer1000: 100_000, errorRate: 0, retryAfter: "30s" },
  workbox: { pageReload: "0s" },
};

/** How many of `requests`, sent in second `second` to every backend, were served (200). */
function served(backends: Backend[], second: number, requests: number): number {
  const rng = new Rng(1);
  let n = 0;
  for (const backend of backends) for (let i = 0; i < requests; i++) if (backend.receive(second * 1000 + i, rng) === 200) n++;
  return n;
}

t.test("a fractional capacity serves whole requests that add up to it, however the fleet is sharded", async (t) => {
  const devices = 10;
  // 1.5/s: 1 request in even seconds, 2 in odd ones, so any two seconds serve exactly 3.
  const expected = (second: number) => (second % 2 === 0 ? 1 : 2);
  for (const shards of [1, 4, 7]) {
    const backends = [...Array(shards).keys()].map((index) => {
      const { first, count } = shardRange(devices, { index, count: shards });
      return new Backend(1.5, { first, count, devices }, 120_000, [], 30_000, 0);
    });
    const perSecond = [...Array(100).keys()].map((s) => served(backends, s, 10));
    t.same(
      perSecond,
      perSecond.map((_, s) => expected(s)),
      `${shards} shard(s): 1, 2, 1, 2, … per second`,
    );
    t.equal(
      perSecond.reduce((a, b) => a + b, 0),
      150,
      `${shards} shard(s): 150 requests in 100 s`,
    );
  }
  // A shard serves its share over time: 3 of 10 devices at 20/s is 6/s.
  const part = new Backend(20, { first: 2, count: 3, devices: 10 }, 120_000, [], 30_000, 0);
  t.equal(
    [...Array(50).keys()].reduce((n, s) => n + served([part], s, 100), 0),
    300,
    "a 30 % shard serves 30 % of 20/s over 50 s",
  );
});

t.test("a shard gets its share of the capacity in every second, not in bursts", async (t) => {
  // 40/s over 2,000 devices in two shards of 1,000: 20/s each. Dealt to devices side by side,
  // one shard got 40/s for 25 s and then nothing for 25 s, and its devices retried into 429s.
  const devices = 2_000;
  for (const [index, count] of [
    [0, 2],
    [1, 2],
    [3, 10],
  ] as const) {
    const { first, count: size } = shardRange(devices, { index, count });
    const backend = new Backend(40, { first, count: size, devices }, 400_000, [], 30_000, 0);
    const share = (40 * size) / devices;
    const perSecond = [...Array(300).keys()].map((second) => backend.allowance(second));
    let worst = 0;
    for (let i = 0; i + 10 <= perSecond.length; i++) worst = Math.max(worst, Math.abs(perSecond.slice(i, i + 10).reduce((a, b) => a + b, 0) - 10 * share));
    t.ok(worst <= 3, `shard ${index + 1} of ${count}: ${share}/s, any 10 s within 3 requests of its share (worst ${worst.toFixed(1)})`);
    t.ok(Math.min(...perSecond) > 0, `shard ${index + 1} of ${count}: served something in every second`);
    t.equal(
      perSecond.reduce((a, b) => a + b, 0),
      Math.round(share * 300),
      `shard ${index + 1} of ${count}: exactly its share over 300 s`,
    );
  }
});

t.test("a request still on its way when the run ends has not arrived", async (t) => {
  // A round trip of exactly 60 s: a message sent at t reaches the backend at t + 30 s. Chromium
  // fires at once on a link that is up, so a message registered at t arrives at t + 30 s.
  const scenario = smallScenario(undefined, {
    ...steady,
    devices: 20,
    duration: "2h",
    policies: ["chromium"],
    latency: { median: "60s", p99: "60s" },
    workload: { perHour: 30, tags: "unique" },
  });
  const firstRegistered = new Map<string, number>();
  const sim = await FleetSim.create(
    scenario,
    { index: 0, count: 1 },
    {
      onEvent: (_policy, device, e) => {
        const key = `${device} ${e.instanceId}`;
        if (e.eventName === "Registered sync" && !firstRegistered.has(key)) firstRegistered.set(key, sim.queue.now);
      },
    },
  );
  const result = await sim.run();
  const report = buildReport([result], 1);
  const p = report.policies[0]!;
  const end = scenario.durationMs;
  const registeredAt = [...firstRegistered.values()];
  const arriving = registeredAt.filter((at) => at + 30_000 <= end).length;
  t.ok(registeredAt.length - arriving > 3, `${registeredAt.length - arriving} messages were registered in the last 30 s`);
  t.equal(p.registered, registeredAt.length, "one registration per message");
  t.equal(p.delivered, arriving, "delivered: exactly those that reached the backend by the end");
  t.equal(p.pending, registeredAt.length - arriving, "pending: the ones still travelling");
  const arrivals = result.policies.chromium!.arrivals;
  t.equal(
    arrivals.reduce((a, b) => a + b, 0),
    arriving,
    "the backend counted only what reached it",
  );
  const lastSecond = registeredAt.filter((at) => at + 30_000 >= end - 1000 && at + 30_000 <= end).length;
  t.equal(arrivals[Math.floor(end / 1000)]! + arrivals[Math.floor(end / 1000) - 1]!, lastSecond, "nothing piles into the last second");
});

t.test("a reconnect still waiting for an attempt when the run ends counts as one with no attempt", async (t) => {
  // The whole fleet loses its link 1 h in, for 90 min; it is back 30 min before the end. Workbox
  // replays its queue only when the service worker starts (never again here); Chromium fires at
  // once. At 60 messages an hour, every device has work waiting when its link comes back.
  const devices = 20;
  const scenario = smallScenario(undefined, {
    ...steady,
    devices,
    duration: "3h",
    policies: ["chromium", "workbox"],
    latency: { median: "100ms", p99: "100ms" },
    workload: { perHour: 60, tags: "unique" },
    fleet: [{ outage: "link", at: "1h", for: "90m", fraction: 1 }],
  });
  const sim = await FleetSim.create(scenario, { index: 0, count: 1 });
  const report = buildReport([await sim.run()], 1);
  const byName = new Map(report.policies.map((p) => [p.policy, p]));
  const workbox = byName.get("workbox")!.reconnectToAttemptMs;
  const chromium = byName.get("chromium")!.reconnectToAttemptMs;
  t.equal(workbox.samples, 0, "workbox: no device attempted after the reconnect");
  t.equal(workbox.missed, devices, "workbox: every device's reconnect ended with no attempt");
  t.equal(chromium.samples, devices, "chromium: every device attempted");
  t.equal(chromium.missed, 0, "chromium: none missed");
});

t.test("a recovery's backlog and its drain time, from the Agents' own event log", async (t) => {
  // Kiosk waits while the probe finds the backend down, so the messages queued during the
  // outage are the backlog; with a 100 ms round trip a message completes 50 ms after it arrived.
  const scenario = smallScenario("fleet-outage", {
    ...steady,
    devices: 20,
    duration: "2h",
    policies: ["kiosk"],
    latency: { median: "100ms", p99: "100ms" },
    workload: { perHour: 60, tags: "unique" },
    fleet: [{ outage: "backend", at: "30m", for: "30m" }],
  });
  const down = 30 * 60_000;
  const back = 60 * 60_000;
  const registeredAt = new Map<string, number>();
  const completedAt = new Map<string, number>();
  const sim = await FleetSim.create(
    scenario,
    { index: 0, count: 1 },
    {
      onEvent: (_policy, device, e) => {
        const key = `${device} ${e.instanceId}`;
        if (e.eventName === "Registered sync" && !registeredAt.has(key)) registeredAt.set(key, sim.queue.now);
        if (e.eventName === "sync event completed") completedAt.set(key, sim.queue.now);
      },
    },
  );
  const recovery = buildReport([await sim.run()], 1).policies[0]!.recoveries[0]!;
  const backlog = [...registeredAt].filter(([key, at]) => at < back && (completedAt.get(key) ?? Infinity) - 50 >= back).map(([key]) => key);
  t.ok(backlog.length > 100, `${backlog.length} messages waited`);
  t.ok(
    backlog.every((key) => registeredAt.get(key)! >= down - 60_000),
    "those queued during the outage (and in the probe's first minute)",
  );
  t.equal(recovery.backlog, backlog.length, "the backlog");
  // 99 % of the backlog: the ceil(0.99 n)-th arrival, to the histogram's 2 % buckets.
  const arrivals = backlog.map((key) => completedAt.get(key)! - 50 - back).sort((a, b) => a - b);
  const drained = arrivals[Math.ceil(0.99 * backlog.length) - 1]!;
  t.ok(Math.abs(recovery.drainMs! - drained) <= 0.02 * drained + 1, `99 % drained in ${recovery.drainMs} ms, by hand ${drained} ms`);
  t.equal(recovery.backlogDelivered, 1, "all of it arrived");
  t.equal(
    recovery.drainBoundMs,
    Math.round((Math.ceil(0.99 * backlog.length) / ((scenario.backend.capacityPer1000 * 20) / 1000)) * 1000),
    "bound: 99 % of the backlog ÷ capacity",
  );
});

t.test("pending queued over an hour before the end, and the p99 that counts undelivered messages as infinite", async (t) => {
  // The links of the whole fleet go down 1 h in and stay down: whatever is queued from then on
  // is still pending at the end; before that every message is delivered within a second.
  const scenario = smallScenario(undefined, {
    ...steady,
    devices: 20,
    duration: "3h",
    policies: ["kiosk"],
    latency: { median: "100ms", p99: "100ms" },
    workload: { perHour: 60, tags: "unique" },
    fleet: [{ outage: "link", at: "1h", for: "2h", fraction: 1 }],
  });
  const { result, registered } = await runNotingRegistrations(scenario);
  const p = buildReport([result], 1).policies[0]!;
  const stranded = registered.filter((at) => at >= 3_600_000);
  t.equal(p.pending, stranded.length, "pending: everything queued once the links were down");
  t.equal(p.pendingOld, stranded.filter((at) => at < 2 * 3_600_000).length, "of them, queued before 2 h (an hour before the end)");
  t.equal(p.latencyP99AllMs, Infinity, "two thirds never arrive: the p99 over all messages is infinite");
  t.ok(p.latencyMs.p99 < 1000, "while the p99 of the delivered ones is under a second");
});
