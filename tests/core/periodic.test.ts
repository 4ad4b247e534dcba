// Periodic Background Sync: intervals, Chromium's snapping and per-scope gap, retries within
// a period, timer coalescing, suspension and the periodic re-registration rules.
import t from "tap";
import { world, MIN, HOUR } from "./world.js";
import type { DomainId } from "../../wasm-core/binding/codes.js";

t.test("never fires at registration; first due at anchor + max(minInterval, the policy minimum)", async (t) => {
  const { s, scope } = await world();
  const id = s.register(scope, 1000, { periodic: { minInterval: HOUR } });
  s.resolved(id, 1000);
  t.same(s.drain(), []);
  t.equal(s.nextWakeup(), 1000 + 12 * HOUR, "1 h asked, 12 h minimum");
  s.handleTimeout(1000 + 12 * HOUR);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "periodic events carry no lastChance");
  t.equal(s.complete(id, "success", 1000 + 12 * HOUR + 5), "pending");
  t.equal(s.nextWakeup(), 1000 + 24 * HOUR + 5, "re-anchored at the completion");
});

t.test("chromium snaps the interval up to a multiple of the minimum", async (t) => {
  const { s, scope } = await world();
  const id = s.register(scope, 0, { periodic: { minInterval: 13 * HOUR } });
  s.resolved(id, 0);
  t.equal(s.nextWakeup(), 24 * HOUR);
});

t.test("the scope's minimum gap keeps its periodic events apart", async (t) => {
  const { s, scope } = await world("chromium", { periodicMinInterval: HOUR, periodicSnap: false, scopeMinGap: 3 * HOUR });
  const a = s.register(scope, 0, { periodic: { minInterval: HOUR } });
  s.resolved(a, 0);
  s.handleTimeout(HOUR);
  s.drain();
  s.complete(a, "success", HOUR);
  const b = s.register(scope, HOUR + 1, { periodic: { minInterval: HOUR } });
  s.resolved(b, HOUR + 1);
  t.equal(s.nextWakeup(), 4 * HOUR, "both wait for the scope's 3 h gap after the last success");
  s.setScopeMinGap(scope, 0);
  const c = s.register(s.createScope(0 as DomainId), HOUR + 2, { periodic: { minInterval: HOUR } });
  s.resolved(c, HOUR + 2);
  t.equal(s.nextWakeup(), 2 * HOUR + 2, "another scope is not held by it");
});

t.test("scopes of one origin share the minimum gap and the last periodic event (joinOrigin)", async (t) => {
  const { s, scope } = await world("chromium", { periodicMinInterval: HOUR, periodicSnap: false, scopeMinGap: 3 * HOUR });
  const sibling = s.createScope(0 as DomainId);
  s.joinOrigin(sibling, scope);
  const a = s.register(scope, 0, { periodic: { minInterval: HOUR } });
  s.resolved(a, 0);
  s.handleTimeout(HOUR);
  s.drain();
  s.complete(a, "success", HOUR);
  const b = s.register(sibling, HOUR + 1, { periodic: { minInterval: HOUR } });
  s.resolved(b, HOUR + 1);
  t.equal(s.nextWakeupOf(0 as DomainId), 4 * HOUR, "the other registration of the origin waits out the origin's 3 h gap");
  s.handleTimeout(4 * HOUR);
  t.same(
    s
      .drain()
      .map((d) => d.type === "fire" && d.id)
      .sort(),
    [a, b].sort(),
    "both fire then, the first scope's too (its interval ended at 2 h)",
  );
  s.setScopeMinGap(sibling, 5 * HOUR);
  s.complete(b, "success", 4 * HOUR);
  s.complete(a, "success", 4 * HOUR);
  t.equal(s.nextWakeupOf(0 as DomainId), 9 * HOUR, "a gap set through the sibling is the origin's: both wait 5 h from the last success");
  t.throws(() => s.joinOrigin(scope, sibling), { code: "BAD_ARGUMENT" }, "an origin's scope joins no other");
  t.throws(() => s.joinOrigin(sibling, s.createScope(0 as DomainId)), { code: "BAD_ARGUMENT" }, "a scope joins one origin only");
  t.throws(() => s.joinOrigin(s.createScope(s.createDomain()), scope), { code: "BAD_ARGUMENT" }, "an origin lives in one domain");
});

t.test("failures retry with back-off within a period, then the period restarts; never dropped", async (t) => {
  const { s, scope } = await world("chromium", { periodicMinInterval: HOUR, periodicSnap: false, periodicMaxAttempts: 3 });
  const id = s.register(scope, 0, { periodic: { minInterval: HOUR } });
  s.resolved(id, 0);
  s.handleTimeout(HOUR);
  s.drain();
  t.equal(s.complete(id, "failure", HOUR), "pending");
  t.equal(s.persisted(id).delayUntil, HOUR + 5 * MIN, "retry 5 min later");
  s.handleTimeout(HOUR + 5 * MIN);
  s.drain();
  s.complete(id, "failure", HOUR + 5 * MIN);
  t.equal(s.nextWakeup(), HOUR + 20 * MIN, "then 15 min later");
  s.handleTimeout(HOUR + 20 * MIN);
  s.drain();
  t.equal(s.complete(id, "failure", HOUR + 20 * MIN), "pending");
  t.equal(s.persisted(id).attempts, 0, "period exhausted: attempts reset");
  t.equal(s.nextWakeup(), 2 * HOUR + 20 * MIN, "next period from now");
  t.same(s.drain(), [], "no drop");
});

t.test("timer coalescing rounds due times up to the wake-up granularity", async (t) => {
  const { s, scope } = await world("chromium", { periodicMinInterval: 0, periodicSnap: false, scopeMinGap: 0, wakeupGranularity: 10 * MIN });
  const ids = [61_000, 3 * MIN, 9 * MIN].map((ms, i) => {
    const id = s.register(scope, i, { periodic: { minInterval: ms } });
    s.resolved(id, i);
    return id;
  });
  t.equal(s.nextWakeup(), 10 * MIN);
  s.handleTimeout(10 * MIN);
  t.same(
    s
      .drain()
      .map((d) => d.id)
      .sort(),
    [...ids].sort(),
    "one wake-up serves all three",
  );
});

t.test(
  "re-registration: a new interval replaces a pending one (a new period from now, attempts reset); the same interval while firing reregisters",
  async (t) => {
    const { s, scope } = await world("chromium", { periodicMinInterval: HOUR, periodicSnap: false });
    const id = s.register(scope, 0, { periodic: { minInterval: HOUR } });
    s.resolved(id, 0);
    t.equal(s.reregister(id, 10, 5 * HOUR), "pending");
    t.equal(s.nextWakeup(), 10 + 5 * HOUR, "a new period from the re-registration, as Chromium replaces it");
    t.equal(s.persisted(id).minInterval, 5 * HOUR);
    s.handleTimeout(10 + 5 * HOUR);
    s.drain();
    t.equal(s.complete(id, "failure", 10 + 5 * HOUR), "pending");
    t.equal(s.persisted(id).attempts, 1, "a failed attempt, retried after the back-off");
    t.equal(s.reregister(id, 20 + 5 * HOUR, 2 * HOUR), "pending");
    t.equal(s.persisted(id).attempts, 0, "replaced: no attempts counted");
    t.equal(s.nextWakeup(), 20 + 7 * HOUR, "and no back-off: its new period");
    s.handleTimeout(20 + 7 * HOUR);
    s.drain();
    t.equal(s.reregister(id, 21 + 7 * HOUR, 2 * HOUR), "reregisteredWhileFiring");
    t.equal(s.complete(id, "failure", 22 + 7 * HOUR), "pending");
    t.equal(s.persisted(id).attempts, 0);
    t.equal(s.nextWakeup(), 22 + 9 * HOUR, "re-anchored, no immediate refire for periodic");
  },
);

t.test("suspension holds a periodic registration until resumed", async (t) => {
  const { s, scope, oneShot } = await world("chromium", { periodicMinInterval: HOUR, periodicSnap: false });
  const id = s.register(scope, 0, { periodic: { minInterval: HOUR } });
  s.resolved(id, 0);
  t.equal(s.setSuspended(id, true, 1), "suspended");
  t.equal(s.nextWakeup(), Infinity);
  s.handleTimeout(2 * HOUR);
  t.same(s.drain(), []);
  t.equal(s.setSuspended(id, false, 2 * HOUR), "firing", "overdue: fires on resume");
  t.throws(() => s.setSuspended(id, true, 2 * HOUR), { code: "WRONG_STATE" }, "not while firing");
  t.throws(() => s.setSuspended(oneShot(2 * HOUR), true, 2 * HOUR), { code: "BAD_ARGUMENT" }, "periodic only");
});
