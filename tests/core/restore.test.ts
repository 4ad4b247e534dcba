// Restarts: the host rebuilds registrations from what it persisted. `firing` is never
// persisted, so an event in flight when the process died comes back pending with its
// attempts unchanged, as in Chromium.
import t from "tap";
import { world, MIN } from "./world.js";

t.test("a registration that was firing comes back pending and fires without costing an attempt", async (t) => {
  const before = await world();
  const id = before.oneShot(0);
  before.s.drain();
  before.s.complete(id, "failure", 1);
  before.s.handleTimeout(1 + 5 * MIN);
  t.same(before.s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
  const saved = before.s.persisted(id); // what the host stored before the crash
  t.equal(saved.attempts, 1);

  const after = await world();
  const restored = after.s.restore(after.scope, saved, 10);
  t.same(after.s.drain(), [{ type: "fire", id: restored, domain: 0, lastChance: false }], "fires again at once, resolved");
  t.equal(after.s.persisted(restored).attempts, 1, "attempt count unchanged");
  after.s.complete(restored, "failure", 20);
  t.equal(after.s.nextWakeup(), 20 + 15 * MIN, "the back-off continues where it was");
});

t.test("a waiting registration keeps its back-off deadline across a restart", async (t) => {
  const { s, scope } = await world();
  const saved = {
    kind: "one-shot" as const,
    attempts: 2,
    maxAttempts: 3,
    delayUntil: 5000,
    anchorOrExpiry: 0,
    minInterval: 0,
    unmeteredOnly: false,
    allowOnBattery: true,
  };
  const id = s.restore(scope, saved, 100);
  t.equal(s.state(id), "waiting");
  t.equal(s.nextWakeup(), 5000);
  s.handleTimeout(5000);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: true }], "the third attempt is still the last chance");
  t.same(s.persisted(id).maxAttempts, 3);
});

t.test("a periodic registration keeps its anchor and interval", async (t) => {
  const { s, scope } = await world("chromium", { periodicMinInterval: 0, periodicSnap: false, scopeMinGap: 0 });
  const id = s.restore(
    scope,
    { kind: "periodic", attempts: 0, maxAttempts: 3, delayUntil: 0, anchorOrExpiry: 1000, minInterval: 60_000, unmeteredOnly: true, allowOnBattery: true },
    2000,
  );
  t.equal(s.nextWakeup(), 61_000);
  t.same(s.persisted(id), {
    kind: "periodic",
    attempts: 0,
    maxAttempts: 3,
    delayUntil: 0,
    anchorOrExpiry: 1000,
    minInterval: 60_000,
    unmeteredOnly: true,
    allowOnBattery: true,
  });
});

t.test("restore refuses records that cannot be true", async (t) => {
  const { s, scope } = await world();
  const good = {
    kind: "one-shot" as const,
    attempts: 0,
    maxAttempts: 3,
    delayUntil: 0,
    anchorOrExpiry: 0,
    minInterval: 0,
    unmeteredOnly: false,
    allowOnBattery: true,
  };
  for (const bad of [
    { attempts: 3 },
    { attempts: -1 },
    { maxAttempts: 0 },
    { maxAttempts: 256 },
    { delayUntil: Number.NaN },
    { anchorOrExpiry: -5 },
    { minInterval: Infinity },
  ]) {
    t.throws(() => s.restore(scope, { ...good, ...bad }, 0), { code: "BAD_ARGUMENT" }, JSON.stringify(bad));
  }
  t.equal(s.liveCount, 0, "nothing half-made");
});
