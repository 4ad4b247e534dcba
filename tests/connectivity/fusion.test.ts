// Connectivity fusion on a manual clock: the settle time, immediate offline, vetoes, TTLs,
// manual overrides, metered/onBattery, and flapping that must not reach the core.
import t from "tap";
import { DEFAULT_FLAP_DAMPING } from "../../agent/connectivity/flap-damping.js";
import { ConnectivityFusion, type FusedState, type FusionOptions } from "../../agent/connectivity/fusion.js";
import { ManualClock } from "../agent/manual-clock.js";

function fusion(options: Partial<FusionOptions> & Pick<FusionOptions, "require">) {
  const clock = new ManualClock();
  const changes: (FusedState & { at: number })[] = [];
  const f = new ConnectivityFusion({ clock, onChange: (s) => changes.push({ ...s, at: clock.monotonic() }), ...options });
  return { clock, changes, f };
}

t.test("online only after every required signal has been good for the settle time; offline at once", async (t) => {
  const { clock, changes, f } = fusion({ require: ["broker", "backendStatus"], settleMs: 5000 });
  t.match(f.state, { online: false, reason: "broker unknown, backendStatus unknown" });
  f.report("broker", "good");
  t.equal(f.state.reason, "backendStatus unknown");
  await clock.advance(1000);
  f.report("backendStatus", "good");
  t.match(f.state, { online: false, reason: "settling: broker, backendStatus good" });
  await clock.advance(4999);
  t.equal(changes.length, 0, "not yet settled");
  await clock.advance(1);
  t.same(changes, [{ online: true, metered: false, onBattery: false, reason: "settled: broker, backendStatus good", at: 6000 }]);
  await clock.advance(100);
  f.report("backendStatus", "bad");
  t.match(changes[1], { online: false, reason: "backendStatus bad", at: 6100 }, "offline at once");
  f.report("backendStatus", "unknown");
  t.equal(changes.length, 2, "offline to offline is no change");
  t.equal(f.state.reason, "backendStatus unknown", "the reason follows the evidence");
  t.equal(clock.nextTimerIn(), undefined, "nothing pending while offline");
});

t.test("a break of any length restarts the settle time", async (t) => {
  const { clock, changes, f } = fusion({ require: ["probe"], settleMs: 3000 });
  f.report("probe", "good");
  await clock.advance(2999);
  f.report("probe", "bad");
  f.report("probe", "good");
  await clock.advance(2999);
  t.equal(changes.length, 0);
  await clock.advance(1);
  t.match(changes, [{ online: true, at: 5999 }], "3000 ms after the last break at 2999");
});

t.test("the default settle time adapts: short after a clean outage, growing while the link flaps; settle 0 is immediate", async (t) => {
  const { minMs, halfLifeMs } = DEFAULT_FLAP_DAMPING;
  t.same(DEFAULT_FLAP_DAMPING, { minMs: 250, maxMs: 60_000, halfLifeMs: 30_000 });
  const a = fusion({ require: ["probe"] });
  a.f.report("probe", "good");
  await a.clock.advance(minMs - 1);
  t.equal(a.f.state.online, false);
  await a.clock.advance(1);
  t.equal(a.f.state.online, true, "a link that never broke settles in minMs");

  // Three breaks 1 s apart, each after a spell too short to settle: the penalty is
  // 1·2^(-2/30) + 1·2^(-1/30) + 1 ≈ 2.93 at the third, 900 ms before the next spell begins,
  // which must then last 250·2^(2.87 − 1) ≈ 914 ms (the first break is free).
  for (let i = 0; i < 3; i++) {
    a.f.report("probe", "bad");
    await a.clock.advance(900);
    a.f.report("probe", "good");
    await a.clock.advance(100);
  }
  const penalty = 2 ** (-2000 / halfLifeMs) + 2 ** (-1000 / halfLifeMs) + 1;
  const expected = Math.ceil(minMs * 2 ** (penalty * 2 ** (-900 / halfLifeMs) - 1));
  const before = a.changes.length;
  await a.clock.advance(expected - 100 - 1);
  t.equal(a.changes.length, before, `not online ${expected - 1} ms into the spell (settle ${expected} ms)`);
  await a.clock.advance(1);
  t.match(a.changes.at(-1), { online: true }, "online once the damped settle time passed");

  // A clean outage of 5 min: the breaks are forgotten, the settle time is minMs again.
  a.f.report("probe", "bad");
  await a.clock.advance(300_000);
  a.f.report("probe", "good");
  await a.clock.advance(minMs + 1);
  t.match(a.changes.at(-1), { online: true }, "after a long clean outage: minMs (+ the rest of a decayed penalty)");

  const b = fusion({ require: ["probe"], settleMs: 0 });
  b.f.report("probe", "good");
  t.match(b.changes, [{ online: true, at: 0 }], "settle 0: synchronously, within report()");
  const c = fusion({ require: [] });
  t.match(c.changes, [{ online: true, reason: "settled: nothing required", at: 0 }], "nothing required: online from the start, nothing to settle");
});

t.test("a link flapping every 3 s stops producing online edges after a few, where a fixed 250 ms would follow every one", async (t) => {
  const run = async (options: Partial<FusionOptions>) => {
    const { clock, changes, f } = fusion({ require: ["probe"], ...options });
    for (let i = 0; i < 100; i++) {
      f.report("probe", "good");
      await clock.advance(2000);
      f.report("probe", "bad");
      await clock.advance(1000);
    }
    return changes.filter((c) => c.online).length;
  };
  const damped = await run({});
  t.ok(damped >= 1 && damped <= 5, `adaptive: ${damped} online edges in 100 flaps`);
  t.equal(await run({ settleMs: 250 }), 100, "fixed 250 ms: one per flap");
});

t.test("navigatorOnLine vetoes; its good is no evidence; it can never be required", async (t) => {
  const { clock, changes, f } = fusion({ require: ["probe"], settleMs: 1000 });
  f.report("navigatorOnLine", "good");
  await clock.advance(5000);
  t.equal(changes.length, 0, "navigator.onLine true alone is not online");
  f.report("probe", "good");
  await clock.advance(1000);
  t.match(changes, [{ online: true }]);
  f.report("navigatorOnLine", "bad");
  t.match(changes[1], { online: false, reason: "navigatorOnLine bad" });
  f.report("navigatorOnLine", "good");
  t.equal(f.state.online, false, "the settle time applies after a veto too");
  await clock.advance(1000);
  t.equal(f.state.online, true);
  t.throws(() => fusion({ require: ["navigatorOnLine"] }), TypeError);
  t.throws(() => f.report("ethernet" as never, "good"), TypeError);
  t.throws(() => f.report("probe", "maybe" as never), TypeError);
  t.throws(() => f.report("probe", "good", { ttlMs: -1 }), RangeError);
  t.throws(() => f.setManual("sometimes" as never), TypeError);
  t.throws(() => fusion({ require: [], settleMs: NaN }), RangeError);
});

t.test("TTL: evidence goes stale and counts as unknown; renewal keeps it fresh; a stale gap breaks the settle time", async (t) => {
  const { clock, changes, f } = fusion({ require: ["deviceStatus"], settleMs: 1000 });
  f.report("deviceStatus", "good", { ttlMs: 10_000 });
  await clock.advance(1000);
  t.match(changes, [{ online: true }]);
  for (let i = 0; i < 5; i++) {
    await clock.advance(8000);
    f.report("deviceStatus", "good", { ttlMs: 10_000 });
  }
  t.equal(changes.length, 1, "renewed before expiry: still online");
  await clock.advance(10_000);
  t.match(changes[1], { online: false, reason: "deviceStatus stale", at: 51_000 });
  t.equal(f.evidence("deviceStatus"), "unknown");
  // A bad veto with a TTL lifts by itself.
  f.report("deviceStatus", "good");
  await clock.advance(1000);
  f.report("navigatorOnLine", "bad", { ttlMs: 3000 });
  t.equal(f.state.online, false);
  await clock.advance(3000);
  t.equal(f.state.online, false, "the veto expired: settling again");
  await clock.advance(1000);
  t.equal(f.state.online, true);
});

t.test("expired evidence refreshed by a late report still broke the settle time", async (t) => {
  // A clock whose timers never run: the expiry is only noticed inside report().
  let now = 0;
  const changes: FusedState[] = [];
  const clock = { monotonic: () => now, wall: () => now, after: () => 0, cancel: () => {} };
  const f = new ConnectivityFusion({ clock, require: ["deviceStatus"], settleMs: 1000, onChange: (s) => changes.push(s) });
  f.report("deviceStatus", "good", { ttlMs: 500 });
  now = 800;
  f.report("deviceStatus", "good", { ttlMs: 500 });
  now = 1200;
  f.report("deviceStatus", "good", { ttlMs: 500 });
  t.equal(f.state.online, false, "good since 800 only: not settled at 1200");
  now = 1600;
  f.report("deviceStatus", "good", { ttlMs: 500 });
  now = 1900;
  f.report("deviceStatus", "good", { ttlMs: 500 });
  t.equal(f.state.online, true, "good since 800, settled at 1800");
});

t.test("manual overrides at once in both directions; auto gives control back", async (t) => {
  const { clock, changes, f } = fusion({ require: ["broker"], settleMs: 2000 });
  f.setManual("online");
  t.match(changes, [{ online: true, reason: "manual online" }]);
  f.report("broker", "good");
  await clock.advance(2000);
  t.equal(changes.length, 1, "the signals do not speak while overridden");
  f.setManual("offline");
  t.match(changes[1], { online: false, reason: "manual offline" });
  t.equal(f.manual, "offline");
  f.setManual("auto");
  t.match(changes[2], { online: true, reason: "settled: broker good" }, "the broker had been good for the settle time already");
  f.report("broker", "bad");
  f.setManual("online");
  f.setManual("auto");
  t.match(changes.slice(3), [{ online: false }, { online: true }, { online: false, reason: "broker bad" }]);
});

t.test("metered and onBattery come from the latest detail that carried them and reach onChange", async (t) => {
  const { changes, f } = fusion({ require: ["deviceStatus"], settleMs: 0 });
  f.report("deviceStatus", "good", { metered: true });
  t.match(changes, [{ online: true, metered: true, onBattery: false }]);
  f.report("deviceStatus", "good", { onBattery: true });
  t.match(changes[1], { online: true, metered: true, onBattery: true }, "metered kept from the earlier detail");
  f.report("deviceStatus", "good");
  t.equal(changes.length, 2, "no detail, no change");
  f.report("probe", "bad", { metered: false });
  t.match(changes[2], { online: true, metered: false }, "any signal may carry it, even one not required");
});

t.test("flapping every 100 ms for 10 s never gives an online edge when the settle time is longer", async (t) => {
  for (const settleMs of [101, 500, 5000]) {
    const { clock, changes, f } = fusion({ require: ["broker", "deviceStatus"], settleMs });
    f.report("broker", "good");
    for (let i = 0; i < 100; i++) {
      f.report("deviceStatus", i % 2 === 0 ? "good" : "bad", { ttlMs: 30_000 });
      await clock.advance(100);
    }
    t.equal(changes.filter((c) => c.online).length, 0, `settle ${settleMs}: no online edge`);
    f.report("deviceStatus", "good", { ttlMs: 30_000 });
    await clock.advance(settleMs);
    t.match(changes, [{ online: true }], `settle ${settleMs}: online once the flapping stops`);
  }
});

t.test("at most one pending timer, however the inputs move", async (t) => {
  let pending = 0;
  let maxPending = 0;
  const inner = new ManualClock();
  const clock = {
    monotonic: () => inner.monotonic(),
    wall: () => inner.wall(),
    after: (ms: number, fn: () => void) => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      return inner.after(ms, () => {
        pending--;
        fn();
      });
    },
    cancel: (h: unknown) => {
      pending--;
      inner.cancel(h);
    },
  };
  let flips = 0;
  const f = new ConnectivityFusion({ clock, require: ["probe", "broker", "deviceStatus", "backendStatus"], settleMs: 700, onChange: () => flips++ });
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const signals = ["probe", "broker", "deviceStatus", "backendStatus", "navigatorOnLine"] as const;
  const evidence = ["good", "good", "good", "bad", "unknown"] as const;
  for (let i = 0; i < 3000; i++) {
    f.report(signals[Math.floor(random() * 5)]!, evidence[Math.floor(random() * 5)]!, random() < 0.5 ? { ttlMs: Math.floor(random() * 2000) } : undefined);
    if (i % 3 === 0) f.setManual((["auto", "auto", "auto", "online", "offline"] as const)[Math.floor(random() * 5)]!);
    await inner.advance(Math.floor(random() * 300));
  }
  t.equal(maxPending, 1);
  t.ok(flips > 10, `the state did change (${flips} times)`);
  f.close();
  t.equal(pending, 0, "close() cancels it");
  f.report("probe", "good");
  t.equal(inner.nextTimerIn(), undefined, "reports after close are ignored");
});
