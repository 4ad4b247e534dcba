// Every transition of the one-shot state machine (spec §6.2 with Chromium's accounting).
import t from "tap";
import { world, MIN } from "./world.js";

t.test("fires only after register() resolved, while online, once its delay passed", async (t) => {
  const { s, domain, scope } = await world();
  s.setConditions(domain, { online: false }, 10);
  const id = s.register(scope, 20);
  t.equal(s.state(id), "pending");
  s.setConditions(domain, { online: true }, 30);
  t.same(s.drain(), [], "online but unresolved: no event");
  t.equal(s.nextWakeup(), Infinity, "an unresolved registration holds no timer");
  s.setConditions(domain, { online: false }, 40);
  s.resolved(id, 50);
  t.same(s.drain(), [], "resolved but offline: no event");
  t.equal(s.state(id), "pending");
  s.setConditions(domain, { online: true }, 60);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "fires on the online edge");
  t.equal(s.resolved(id, 61), "firing", "resolving again changes nothing");
  t.same(s.drain(), []);
});

t.test("success removes a one-shot registration and frees its id", async (t) => {
  const { s, oneShot } = await world();
  const id = oneShot(0);
  s.drain();
  t.equal(s.complete(id, "success", 5), "removed");
  t.equal(s.has(id), false);
  t.throws(() => s.complete(id, "success", 6), { code: "UNKNOWN_ID" }, "a completion after removal is refused");
  const reused = oneShot(7);
  t.not(reused, id, "a reused slot gets a new generation");
  t.throws(() => s.state(id), { code: "UNKNOWN_ID" }, "the stale id stays unknown");
});

t.test("re-registering while firing: reregisteredWhileFiring, fires again after completion with attempts reset", async (t) => {
  const { s, oneShot } = await world();
  const id = oneShot(0);
  s.drain();
  s.complete(id, "failure", 1);
  s.handleTimeout(1 + 5 * MIN);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
  t.equal(s.persisted(id).attempts, 1);
  t.equal(s.reregister(id, 2 + 5 * MIN), "reregisteredWhileFiring");
  t.equal(s.reregister(id, 3 + 5 * MIN), "reregisteredWhileFiring", "idempotent");
  t.equal(s.complete(id, "failure", 4 + 5 * MIN), "firing", "completes as pending and fires again at once");
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
  t.equal(s.persisted(id).attempts, 0, "attempt count reset");
  t.equal(s.complete(id, "success", 5 + 5 * MIN), "removed");
});

t.test("re-registering while firing also refires after a success", async (t) => {
  const { s, oneShot } = await world();
  const id = oneShot(0);
  s.drain();
  s.reregister(id, 1);
  t.equal(s.complete(id, "success", 2), "firing");
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
});

t.test("re-registering while waiting: the spec's rule skips the back-off, Chromium's keeps it", async (t) => {
  for (const bypass of [true, false]) {
    const { s, oneShot } = await world("chromium", { reregisterBypassesBackoff: bypass });
    const id = oneShot(0);
    s.drain();
    s.complete(id, "failure", 10);
    t.equal(s.state(id), "waiting");
    const state = s.reregister(id, 20);
    if (bypass) {
      t.equal(state, "firing", "spec: waiting → pending, fires now");
      t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
      t.equal(s.persisted(id).attempts, 1, "the attempt already spent still counts");
    } else {
      t.equal(state, "waiting", "Chromium: no change");
      t.equal(s.nextWakeup(), 10 + 5 * MIN, "back-off kept");
      t.same(s.drain(), []);
    }
  }
});

t.test("re-registering while pending coalesces into one event", async (t) => {
  const { s, domain, scope } = await world();
  s.setConditions(domain, { online: false }, 0);
  const id = s.register(scope, 0);
  s.resolved(id, 0);
  for (let i = 1; i <= 5; i++) t.equal(s.reregister(id, i), "pending");
  s.setConditions(domain, { online: true }, 10);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "five registrations, one event");
});

t.test("aborted (connectivity dropped mid-event): back to pending, no attempt counted, up to maxAbortedAttempts", async (t) => {
  const { s, domain, oneShot } = await world("chromium", { maxAbortedAttempts: 2 });
  const id = oneShot(0);
  s.drain();
  s.setConditions(domain, { online: false }, 5);
  t.equal(s.complete(id, "aborted", 6), "pending");
  t.equal(s.persisted(id).attempts, 0);
  t.same(s.drain(), [], "offline: parked");
  s.setConditions(domain, { online: true }, 7);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
  t.equal(s.complete(id, "aborted", 8), "firing", "the second aborted attempt is free too: online, it fires again at once");
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
  t.equal(s.complete(id, "aborted", 9), "waiting", "the third counts as a failed attempt: back-off");
  t.equal(s.persisted(id).attempts, 1);
});

t.test("Chromium counts every dispatched event: an aborted attempt is a failure in its preset", async (t) => {
  const { s, oneShot } = await world();
  const id = oneShot(0);
  s.drain();
  t.equal(s.complete(id, "aborted", 6), "waiting");
  t.equal(s.persisted(id).attempts, 1);
});

t.test("undelivered (no active worker took it): pending, nothing counted, not even a free aborted attempt", async (t) => {
  const { s, domain, scope, oneShot } = await world("chromium", { maxAttempts: 1 });
  const id = oneShot(0);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: true }]);
  s.setScopeOnline(scope, false, 5);
  t.equal(s.complete(id, "undelivered", 6), "pending", "even on its last chance");
  t.equal(s.persisted(id).attempts, 0);
  t.same(s.drain(), [], "held while its scope cannot take events");
  s.setScopeOnline(scope, true, 7);
  t.same(s.drain(), [{ type: "fire", id, domain, lastChance: true }], "the same last chance, once a worker can take it");
});

t.test("a lastChance attempt never runs twice: aborted, it drops the registration as a failure would", async (t) => {
  const { s, oneShot } = await world("chromium", { maxAttempts: 1, maxAbortedAttempts: 255 });
  const id = oneShot(0);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: true }]);
  t.equal(s.complete(id, "aborted", 5), "removed");
  t.same(s.drain(), [{ type: "dropped", id, domain: 0, reason: "attemptsExhausted" }]);
});

t.test("a link that drops during every event: the retries end", async (t) => {
  const { s, oneShot } = await world("kiosk", {
    maxAttempts: 3,
    initialRetryDelay: 10,
    retryDelayFactor: 1,
    jitter: "none",
    reconnectSpreadRatio: 0,
    budgetCapacity: 0,
  });
  const id = oneShot(0);
  let now = 0;
  let fires = 0;
  for (let step = 0; step < 100 && s.has(id); step++) {
    now += 1_000;
    s.handleTimeout(now);
    for (const d of s.drain())
      if (d.type === "fire") {
        fires++;
        s.complete(id, "aborted", now);
      }
  }
  t.equal(s.has(id), false, "dropped");
  t.equal(fires, 3 + 3, "the kiosk preset's 3 free aborted attempts, then the 3 attempts");
});

t.test("a retry-after hint lengthens the delay but never shortens it", async (t) => {
  const { s, oneShot } = await world();
  const a = oneShot(0);
  const b = oneShot(0);
  s.drain();
  s.complete(a, "failure", 100, 60 * MIN);
  t.equal(s.persisted(a).delayUntil, 100 + 60 * MIN, "hint longer than the back-off wins");
  s.complete(b, "failure", 100, 1000);
  t.equal(s.persisted(b).delayUntil, 100 + 5 * MIN, "hint shorter than the back-off is ignored");
});

t.test("lastChance is true exactly on the last attempt, for any maxAttempts", async (t) => {
  for (const maxAttempts of [1, 2, 5]) {
    const { s, oneShot } = await world("chromium", { maxAttempts, initialRetryDelay: 1000, retryDelayFactor: 1 });
    const id = oneShot(0);
    let now = 0;
    const seen: boolean[] = [];
    for (;;) {
      const fired = s.drain().filter((d) => d.type === "fire");
      for (const d of fired) if (d.type === "fire") seen.push(d.lastChance);
      if (!s.has(id)) break;
      if (s.state(id) === "firing") {
        now += 10;
        s.complete(id, "failure", now);
        continue;
      }
      now = s.nextWakeup();
      s.handleTimeout(now);
    }
    t.same(seen, [...Array(maxAttempts - 1).fill(false), true], `maxAttempts ${maxAttempts}`);
  }
});

t.test("a last-chance event may have a shorter time limit", async (t) => {
  const { s, oneShot } = await world("chromium", { maxAttempts: 2, eventTimeout: 10_000, lastChanceEventTimeout: 2000, initialRetryDelay: 1000 });
  const id = oneShot(0);
  s.drain();
  t.equal(s.nextWakeup(), 10_000);
  s.handleTimeout(10_000);
  t.same(s.drain(), [{ type: "timedOut", id, domain: 0 }]);
  s.handleTimeout(11_000);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: true }]);
  t.equal(s.nextWakeup(), 13_000, "last chance: 2 s limit");
  s.handleTimeout(13_000);
  t.same(s.drain(), [
    { type: "timedOut", id, domain: 0 },
    { type: "dropped", id, domain: 0, reason: "attemptsExhausted" },
  ]);
});

t.test("retention: past maxRetention the next attempt is the last chance, and its failure expires it", async (t) => {
  const { s, oneShot } = await world("chromium", { maxAttempts: 10, maxRetention: 60_000, initialRetryDelay: 40_000, retryDelayFactor: 1 });
  const id = oneShot(0);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
  s.complete(id, "failure", 1000);
  s.handleTimeout(41_000);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "59 s old: not yet");
  s.complete(id, "failure", 42_000);
  s.handleTimeout(82_000);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: true }], "82 s old: last chance");
  s.complete(id, "failure", 83_000);
  t.same(s.drain(), [{ type: "dropped", id, domain: 0, reason: "expired" }]);
});

t.test("per-scope online: a scope can be offline while its domain is online", async (t) => {
  const { s, domain, scope, oneShot } = await world();
  const other = s.createScope(domain);
  s.setScopeOnline(scope, false, 0);
  const id = oneShot(1);
  const id2 = s.register(other, 1);
  s.resolved(id2, 1);
  t.same(s.drain(), [{ type: "fire", id: id2, domain: 0, lastChance: false }], "only the online scope fires");
  s.setScopeOnline(scope, true, 2);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
});

t.test("constraints: unmetered-only waits out a metered link, not-on-battery waits for power", async (t) => {
  const { s, domain, scope } = await world();
  s.setConditions(domain, { online: true, metered: true, onBattery: true }, 0);
  const unmetered = s.register(scope, 0, { unmeteredOnly: true });
  const mains = s.register(scope, 0, { allowOnBattery: false });
  const any = s.register(scope, 0);
  for (const id of [unmetered, mains, any]) s.resolved(id, 0);
  t.same(s.drain(), [{ type: "fire", id: any, domain: 0, lastChance: false }]);
  s.setConditions(domain, { online: true, metered: false, onBattery: true }, 1);
  t.same(s.drain(), [{ type: "fire", id: unmetered, domain: 0, lastChance: false }]);
  s.setConditions(domain, { online: true, metered: false, onBattery: false }, 2);
  t.same(s.drain(), [{ type: "fire", id: mains, domain: 0, lastChance: false }]);
  t.same(s.persisted(mains).allowOnBattery, false);
});

t.test("parked registrations fire oldest first on the online edge", async (t) => {
  const { s, domain, scope } = await world();
  s.setConditions(domain, { online: false }, 0);
  const ids = [0, 1, 2, 3].map((i) => {
    const id = s.register(scope, i);
    s.resolved(id, i);
    return id;
  });
  s.setConditions(domain, { online: true }, 10);
  t.same(
    s.drain().map((d) => d.id),
    ids,
  );
});

t.test("domains are independent: one device's outage does not hold another's events", async (t) => {
  const { s } = await world();
  const devices = Array.from({ length: 50 }, () => s.createDomain());
  const regs = devices.map((d, i) => {
    const scope = s.createScope(d);
    s.setConditions(d, { online: i % 2 === 0 }, 0);
    const id = s.register(scope, 0);
    s.resolved(id, 0);
    return id;
  });
  const fired = new Set(s.drain().map((d) => d.id));
  t.same(
    regs.filter((_, i) => i % 2 === 0).every((id) => fired.has(id)),
    true,
  );
  t.equal(fired.size, 25, "the offline half did not fire");
});

t.test("removing a scope removes its registrations; an in-flight event's completion changes nothing", async (t) => {
  const { s, scope, oneShot } = await world();
  const firing = oneShot(0);
  const waiting = oneShot(0);
  s.drain();
  s.complete(waiting, "failure", 1);
  t.equal(s.removeScope(scope, 2), 2);
  t.equal(s.liveCount, 0);
  t.equal(s.nextWakeup(), Infinity, "their timers are gone");
  t.throws(() => s.complete(firing, "success", 3), { code: "UNKNOWN_ID" });
  t.throws(() => s.register(scope, 4), { code: "UNKNOWN_SCOPE" });
});

t.test("unregister from any state", async (t) => {
  const { s, oneShot } = await world();
  const a = oneShot(0);
  s.drain();
  s.unregister(a, 1);
  t.equal(s.liveCount, 0);
  t.equal(s.nextWakeup(), Infinity);
});
