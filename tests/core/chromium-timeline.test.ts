// The `chromium` preset must reproduce Chromium's one-shot timeline to the millisecond
// (background_sync_parameters.cc: 3 attempts, 5 min × 3^(n-1), lastChance on the third).
import t from "tap";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";

const MIN = 60_000;

t.test("fires at once, retries 5 min then 15 min later, lastChance on the third, then drops", async (t) => {
  const s = await createScheduler({ preset: "chromium" });
  const d = s.createDomain();
  const scope = s.createScope(d);
  s.setConditions(d, { online: true }, 0);
  const id = s.register(scope, 1000);
  t.same(s.drain(), [], "nothing fires before register() resolved");
  t.equal(s.resolved(id, 1000), "firing");
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "attempt 1 at once");
  t.equal(s.nextWakeup(), 1000 + 3 * MIN, "event time limit is 3 min");

  t.equal(s.complete(id, "failure", 2000), "waiting");
  t.equal(s.nextWakeup(), 2000 + 5 * MIN, "retry 5 min after the first failure");
  s.handleTimeout(2000 + 5 * MIN - 1);
  t.same(s.drain(), [], "not a millisecond early");
  s.handleTimeout(2000 + 5 * MIN);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "attempt 2");

  const fail2 = 2000 + 5 * MIN + 500;
  t.equal(s.complete(id, "failure", fail2), "waiting");
  t.equal(s.nextWakeup(), fail2 + 15 * MIN, "retry 15 min after the second failure");
  s.handleTimeout(fail2 + 15 * MIN);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: true }], "attempt 3 is the last chance");

  const fail3 = fail2 + 15 * MIN + 10;
  t.equal(s.complete(id, "failure", fail3), "removed");
  t.same(s.drain(), [{ type: "dropped", id, domain: 0, reason: "attemptsExhausted" }]);
  t.equal(s.liveCount, 0);
  t.equal(s.nextWakeup(), Infinity, "idle");
});

t.test("a timed-out event counts as a failed attempt", async (t) => {
  const s = await createScheduler({ preset: "chromium" });
  const d = s.createDomain();
  const scope = s.createScope(d);
  s.setConditions(d, { online: true }, 0);
  const id = s.register(scope, 0);
  s.resolved(id, 0);
  s.drain();
  s.handleTimeout(3 * MIN);
  t.same(s.drain(), [{ type: "timedOut", id, domain: 0 }]);
  t.equal(s.state(id), "waiting");
  t.equal(s.persisted(id).attempts, 1);
  t.equal(s.nextWakeup(), 3 * MIN + 5 * MIN);
});
