// The wall clock stepping a day either way (NTP after a boot without RTC, a hand-set clock)
// while registrations wait: scheduling runs on monotonic time, so a running Agent fires
// neither early nor late; stored times are wall times, so across a restart a retry moves by
// at most the step (never more), and nothing is lost either way.
import t from "tap";
import { Agent } from "../../agent/agent.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { core, harness, SCOPE } from "./harness.js";
import { ScriptedDispatcher } from "./scripted-dispatcher.js";

const MIN = 60_000;
const DAY = 86_400_000;

for (const step of [DAY, -DAY]) {
  const sign = step > 0 ? "+1 day" : "-1 day";

  t.test(`wall clock ${sign} while a retry waits: it comes at its monotonic time`, async (t) => {
    const h = await harness();
    h.dispatcher.auto = { outcome: "failure", reason: "waitUntil rejected" };
    await h.sw.sync.register("a");
    await h.clock.advance(0);
    t.equal(h.dispatcher.deliveries.length, 1, "first attempt failed");
    h.clock.jumpWall(step);
    await h.clock.advance(5 * MIN - 1);
    t.equal(h.dispatcher.deliveries.length, 1, "not early");
    await h.clock.advance(1);
    t.equal(h.dispatcher.deliveries.length, 2, "the retry at 5 min, as if nothing happened");
    t.same(
      h.agent.status().map((s) => s.tag),
      ["a"],
      "still there",
    );
  });

  t.test(`wall clock ${sign} across a restart: the retry moves by at most the step, nothing is lost`, async (t) => {
    const h = await harness();
    h.dispatcher.auto = { outcome: "failure", reason: "waitUntil rejected" };
    await h.sw.sync.register("a");
    await h.clock.advance(MIN); // failed at 0; the retry is due at 5 min, stored as a wall time
    await h.agent.close();
    h.clock.jumpWall(step); // the device was off; at boot the clock stepped
    const dispatcher = new ScriptedDispatcher();
    dispatcher.auto = { outcome: "success" };
    const agent = await Agent.start({ scheduler: singleTenant(await core("wasm"), h.clock), store: h.store, dispatcher, clock: h.clock });
    t.teardown(() => agent.close());
    const sw = agent.addServiceWorker(SCOPE, { hasWindowClient: () => true });
    agent.setConditions({ online: true });
    t.same(await sw.sync.getTags(), ["a"], "restored");
    const due = 4 * MIN; // what was left of the back-off
    let waited = 0;
    await h.clock.advance(0);
    while (dispatcher.deliveries.length === 0 && waited <= DAY + due) {
      await h.clock.advance(MIN);
      waited += MIN;
    }
    const firedAfter = dispatcher.deliveries.length > 0 ? waited : -1;
    t.ok(firedAfter >= 0, `fired ${firedAfter / MIN} min after the restart`);
    t.ok(Math.abs(firedAfter - due) <= Math.abs(step), `off by ${Math.abs(firedAfter - due) / MIN} min, within the step`);
    await h.clock.advance(0);
    t.same(await sw.sync.getTags(), [], "and it completed");
  });
}
