// Policy: presets, the jitter modes' ranges and determinism, the reconnect spread, a server's
// Retry-After and the per-domain retry budget.
import t from "tap";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { world, MIN, HOUR } from "./world.js";
import type { JitterMode } from "../../wasm-core/binding/policy.js";

t.test("presets carry the documented values", async (t) => {
  const s = await createScheduler({ preset: "chromium" });
  t.match(s.policy(), {
    maxAttempts: 3,
    initialRetryDelay: 5 * MIN,
    retryDelayFactor: 3,
    maxRetryDelay: Infinity,
    jitter: "none",
    eventTimeout: 3 * MIN,
    reregisterBypassesBackoff: false,
    periodicMinInterval: 12 * HOUR,
    periodicSnap: true,
    budgetCapacity: 0,
    reconnectSpreadRatio: 0,
  });
  s.usePreset("kiosk");
  t.match(s.policy(), { maxAttempts: 12, jitter: "full", maxRetryDelay: HOUR, budgetCapacity: 500, reregisterBypassesBackoff: true });
});

t.test("a refused override rolls the whole change back", async (t) => {
  const s = await createScheduler();
  const before = s.policy();
  t.throws(() => s.setPolicy({ maxAttempts: 7, jitterRatio: 2 }), { code: "BAD_POLICY" });
  t.same(s.policy(), before);
  for (const bad of [
    { maxAttempts: 0 },
    { maxAttempts: 256 },
    { maxAttempts: 2.5 },
    { eventTimeout: 0 },
    { retryDelayFactor: 0.5 },
    { initialRetryDelay: -1 },
    { initialRetryDelay: Number.NaN },
    { jitter: "wild" as JitterMode },
    { budgetCapacity: 10 } /* no refill rate */,
    { maxRegistrations: 2 ** 24 + 1 },
  ]) {
    t.throws(() => s.setPolicy(bad), { code: "BAD_POLICY" }, JSON.stringify(bad));
  }
  s.setPolicy({ budgetCapacity: 10, budgetRefillPerSecond: 1 });
  t.equal(s.policy().budgetCapacity, 10, "refill before capacity, whatever the key order");
});

/** Back-off delays of `n` registrations failing once each. */
async function firstDelays(jitter: JitterMode, seed: number, n = 400) {
  const { s, oneShot } = await world("chromium", { jitter, jitterRatio: 0.25, initialRetryDelay: 1000, maxRetryDelay: 60_000 }, seed);
  const ids = Array.from({ length: n }, () => oneShot(0));
  s.drain();
  return ids.map((id) => {
    s.complete(id, "failure", 0);
    return s.persisted(id).delayUntil;
  });
}

t.test("jitter modes stay in their ranges and are reproducible from the seed", async (t) => {
  const ranges: Record<JitterMode, [number, number]> = {
    none: [1000, 1000],
    full: [0, 1000],
    equal: [500, 1000],
    decorrelated: [1000, 3000],
    ratio: [750, 1250],
  };
  for (const [mode, [lo, hi]] of Object.entries(ranges) as [JitterMode, [number, number]][]) {
    const delays = await firstDelays(mode, 7);
    t.ok(
      delays.every((d) => d >= lo && d <= hi),
      `${mode}: every delay in [${lo}, ${hi}]`,
    );
    if (mode !== "none") {
      t.ok(new Set(delays).size > 300, `${mode}: delays are spread`);
      const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
      t.ok(Math.abs(mean - (lo + hi) / 2) < (hi - lo) * 0.1, `${mode}: mean ${mean.toFixed(0)} near the middle`);
    }
    t.same(await firstDelays(mode, 7), delays, `${mode}: same seed, same delays`);
  }
  t.not(JSON.stringify(await firstDelays("full", 8)), JSON.stringify(await firstDelays("full", 7)), "another seed, other delays");
});

t.test("exponential back-off is capped", async (t) => {
  const { s, oneShot } = await world("chromium", { maxAttempts: 10, initialRetryDelay: 1000, retryDelayFactor: 2, maxRetryDelay: 5000 });
  const id = oneShot(0);
  let now = 0;
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    s.drain();
    s.complete(id, "failure", now);
    delays.push(s.persisted(id).delayUntil - now);
    now = s.nextWakeup();
    s.handleTimeout(now);
  }
  t.same(delays, [1000, 2000, 4000, 5000, 5000, 5000]);
});

t.test("reconnect spread grows with the outage, each registration at its own point of it", async (t) => {
  /** The offsets after the online edge at which two parked registrations fire. */
  const spreadAfter = async (outage: number, seed: number) => {
    const { s, domain, oneShot } = await world("chromium", { reconnectSpreadRatio: 0.1, reconnectSpreadMax: 5 * MIN }, seed);
    s.setConditions(domain, { online: false }, 1000);
    const ids = [oneShot(1000), oneShot(1000)];
    const edge = 1000 + outage;
    s.setConditions(domain, { online: true }, edge);
    t.same(s.drain(), [], "nothing fires on the edge itself");
    const firedAt = new Map<number, number>();
    while (firedAt.size < ids.length && Number.isFinite(s.nextWakeup())) {
      const now = s.nextWakeup();
      s.handleTimeout(now);
      for (const d of s.drain()) firedAt.set(d.id, now - edge);
    }
    t.same([...firedAt.keys()].sort(), [...ids].sort(), "both fire");
    return ids.map((id) => firedAt.get(id)!);
  };
  const short: number[][] = [];
  const long: number[][] = [];
  for (let seed = 1; seed <= 20; seed++) {
    short.push(await spreadAfter(60_000, seed));
    long.push(await spreadAfter(4 * HOUR, seed));
  }
  t.ok(
    short.flat().every((x) => x >= 0 && x <= 6000),
    "1 min outage: offsets ≤ 6 s",
  );
  t.ok(
    long.flat().every((x) => x >= 0 && x <= 5 * MIN),
    "4 h outage: offsets ≤ the 5 min cap",
  );
  t.ok(Math.max(...long.flat()) > 60_000, "and a long outage really spreads");
  t.ok(
    long.every(([a, b]) => a !== b),
    "a scope's registrations go at different times, not in one burst",
  );
});

t.test("a server's Retry-After: honoured exactly without jitter, spread over one more period with it", async (t) => {
  /** When 200 registrations told "retry after 30 s" (back-off 1 s) come back. */
  const comeBack = async (jitter: JitterMode, seed: number) => {
    const { s, oneShot } = await world("chromium", { jitter, initialRetryDelay: 1000, maxRetryDelay: 1000 }, seed);
    const ids = Array.from({ length: 200 }, () => oneShot(0));
    s.drain();
    return ids.map((id) => {
      s.complete(id, "failure", 0, 30_000);
      return s.persisted(id).delayUntil;
    });
  };
  t.same(new Set(await comeBack("none", 1)), new Set([30_000]), "no jitter: all at exactly 30 s");
  for (const jitter of ["full", "equal", "decorrelated", "ratio"] as const) {
    const at = await comeBack(jitter, 7);
    t.ok(
      at.every((x) => x >= 30_000 && x < 60_000),
      `${jitter}: never before 30 s, before 60 s`,
    );
    const seconds = new Set(at.map((x) => Math.floor(x / 1000)));
    t.ok(seconds.size >= 20, `${jitter}: spread over ${seconds.size} different seconds, not one wave`);
  }
  t.same(await comeBack("full", 7), await comeBack("full", 7), "the same seed, the same times");
});

t.test("retry budget: retries wait for tokens, first attempts never do, successes refund", async (t) => {
  const { s, oneShot } = await world("chromium", {
    maxAttempts: 5,
    initialRetryDelay: 1000,
    retryDelayFactor: 1,
    budgetRefillPerSecond: 1,
    budgetCapacity: 10,
    budgetRetryCost: 5,
    budgetTimeoutRetryCost: 10,
    budgetSuccessRefund: 1,
  });
  const ids = [oneShot(0), oneShot(0), oneShot(0)];
  t.equal(s.drain().length, 3, "first attempts are free");
  for (const id of ids) s.complete(id, "failure", 0);
  s.handleTimeout(1000);
  // Refill since 0 is capped at capacity: 10 tokens pay two retries of 5; the third waits 5 s.
  t.equal(s.drain().length, 2);
  t.equal(s.nextWakeup(), 6000, "(5 - 0) tokens at 1/s");
  s.handleTimeout(6000);
  t.equal(s.drain().length, 1);
});

t.test("a timeout-caused retry costs more", async (t) => {
  const { s, oneShot } = await world("chromium", {
    maxAttempts: 5,
    initialRetryDelay: 1000,
    retryDelayFactor: 1,
    eventTimeout: 500,
    budgetRefillPerSecond: 1,
    budgetCapacity: 10,
    budgetRetryCost: 5,
    budgetTimeoutRetryCost: 10,
  });
  const [a, b] = [oneShot(0), oneShot(0)];
  s.drain();
  s.handleTimeout(500);
  t.same(
    s.drain().map((d) => d.type),
    ["timedOut", "timedOut"],
  );
  s.handleTimeout(1500);
  t.same(
    s.drain().map((d) => d.id),
    [a],
    "10 tokens pay one timeout retry",
  );
  s.complete(a, "success", 1500);
  t.equal(s.nextWakeup(), 1500 + 10_000, "the other waits for 10 tokens at 1/s");
  s.handleTimeout(11_500);
  t.same(
    s.drain().map((d) => d.id),
    [b],
  );
});

t.test("a retry never costs more than a full bucket, and a crawling refill still gives a finite wake-up", async (t) => {
  const { s, oneShot } = await world("chromium", {
    maxAttempts: 5,
    initialRetryDelay: 1000,
    retryDelayFactor: 1,
    budgetRefillPerSecond: 1e-300,
    budgetCapacity: 4,
    budgetRetryCost: 50,
  });
  const [a, b] = [oneShot(0), oneShot(0)];
  s.drain();
  s.complete(a, "failure", 0);
  s.complete(b, "failure", 0);
  s.handleTimeout(1000);
  t.same(
    s.drain().map((d) => d.id),
    [a],
    "a cost of 50 is capped at the 4-token capacity",
  );
  t.ok(Number.isFinite(s.nextWakeup()), "the other waits, at a finite time");
});
