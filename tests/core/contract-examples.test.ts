// One worked example per point the reference model marks "Contract:" (tests/reference/model*.ts),
// each written from wasm-core/SEMANTICS.md with concrete times and decisions, run against the
// Wasm core and against the model. The differential test shows the two agree with each
// other; these show that both agree with the document.
import t, { type Test } from "tap";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import type { Scheduler, SchedulerOptions } from "../../wasm-core/binding/scheduler.js";
import type { DomainId, ScopeId } from "../../wasm-core/binding/codes.js";
import { ReferenceScheduler } from "../reference/model.js";
import { Xoshiro128 } from "../reference/random.js";

type Host = Pick<
  Scheduler,
  | "createDomain"
  | "createScope"
  | "setConditions"
  | "setPace"
  | "setScopeOnline"
  | "setScopeMinGap"
  | "removeScope"
  | "register"
  | "restore"
  | "resolved"
  | "reregister"
  | "complete"
  | "handleTimeout"
  | "nextWakeup"
  | "nextWakeupOf"
  | "drain"
  | "persisted"
>;

const subjects: readonly [string, (o: SchedulerOptions) => Promise<Host>][] = [
  ["core", (o) => createScheduler(o)],
  ["model", async (o) => new ReferenceScheduler(o)],
];

/** One example, run on a fresh core and a fresh model configured by `options`. */
function example(name: string, options: SchedulerOptions, body: (t: Test, s: Host) => void): void {
  t.test(name, async (t) => {
    for (const [who, make] of subjects) {
      const s = await make(options);
      await t.test(who, async (t) => body(t, s));
    }
  });
}

/** A domain (online unless told) with one scope. */
function place(s: Host, online = true): { domain: DomainId; scope: ScopeId } {
  const domain = s.createDomain();
  const scope = s.createScope(domain);
  s.setConditions(domain, { online }, 0);
  return { domain, scope };
}

const plain = { jitter: "none", maxAttempts: 5, retryDelayFactor: 1 } as const;

example(
  "Back-off: with maxRetryDelay = Infinity a delay is still clamped to MAX_TIME (2^53)",
  {
    policy: { ...plain, initialRetryDelay: 2 ** 52, retryDelayFactor: 3, maxRetryDelay: Infinity },
  },
  (t, s) => {
    const { scope } = place(s);
    const id = s.register(scope, 0);
    s.resolved(id, 0);
    s.drain();
    s.complete(id, "failure", 0);
    t.equal(s.nextWakeup(), 2 ** 52, "1st failure: 2^52");
    s.handleTimeout(2 ** 52);
    t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
    s.complete(id, "failure", 2 ** 52);
    t.equal(s.persisted(id).delayUntil, 2 ** 52 + 2 ** 53, "2nd failure: min(3 × 2^52, 2^53), not 3 × 2^52");
  },
);

example(
  "Periodic: a popped timer recomputes the due time (a newer success and a longer gap push it later)",
  {
    policy: { periodicMinInterval: 0, periodicSnap: false, scopeMinGap: 0, wakeupGranularity: 0 },
  },
  (t, s) => {
    const { scope } = place(s);
    const early = s.register(scope, 0, { periodic: { minInterval: 500 } });
    const late = s.register(scope, 0, { periodic: { minInterval: 1000 } });
    s.resolved(early, 0);
    s.resolved(late, 0);
    t.equal(s.nextWakeup(), 500);
    s.setScopeMinGap(scope, 5000);
    s.handleTimeout(500);
    t.same(s.drain(), [{ type: "fire", id: early, domain: 0, lastChance: false }]);
    s.complete(early, "success", 600);
    t.equal(s.nextWakeup(), 1000, "the other one's timer was set at its registration");
    s.handleTimeout(1000);
    t.same(s.drain(), [], "due again: max(0 + 1000, 600 + 5000) = 5600");
    t.equal(s.nextWakeup(), 5600);
  },
);

example(
  "Budget: a wait too small to move the clock (a rounding shortfall of the refill) is no wait",
  {
    policy: {
      ...plain,
      initialRetryDelay: 120,
      budgetRefillPerSecond: 125 / 3,
      budgetCapacity: 5,
      budgetRetryCost: 5,
    },
  },
  (t, s) => {
    const { scope } = place(s);
    const T = 1_000_000; // late enough that a wait of 2e-14 ms is below half a step of the clock
    const id = s.register(scope, T);
    s.resolved(id, T);
    s.drain();
    s.complete(id, "failure", T);
    s.handleTimeout(T + 120);
    t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "the first retry empties the bucket");
    s.complete(id, "failure", T + 120);
    // The refill over 120 ms is 0.12 × 125/3 = 4.999999999999999 tokens, not 5: the wait
    // (2e-14 ms) would put the timer at T + 240 itself, to be popped and re-pushed forever.
    s.handleTimeout(T + 240);
    t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }], "fires at T + 240");
    t.equal(s.nextWakeup(), T + 240 + 3 * 60_000, "its event deadline");
  },
);

example(
  "Spread: the outage runs from when the scope went effectively offline, whichever edge did it",
  {
    seed: 7,
    policy: { reconnectSpreadRatio: 1, reconnectSpreadMax: 1e9 },
  },
  (t, s) => {
    const { domain, scope } = place(s);
    s.setScopeOnline(scope, false, 1000); // offline from here
    s.setConditions(domain, { online: false }, 2000); // already offline: offlineSince stays 1000
    s.setScopeOnline(scope, true, 3000); // the domain is still offline
    const id = s.register(scope, 3500);
    s.resolved(id, 3500);
    t.same(s.drain(), [], "parked");
    s.setConditions(domain, { online: true }, 10_000);
    const offset = (10_000 - 1000) * new Xoshiro128(7, 0).draw();
    t.equal(s.nextWakeup(), 10_000 + offset, "spread over the 9,000 ms outage, one draw");
  },
);

example("Pace: a paced domain fires one interval apart; each reservation fires at its point", { policy: plain }, (t, s) => {
  const { domain, scope } = place(s);
  s.setPace(domain, 1000, 0); // idle: no draw, free to fire at once
  const ids = [s.register(scope, 0), s.register(scope, 0), s.register(scope, 0)];
  for (const id of ids) s.resolved(id, 0);
  t.same(
    s.drain().map((d) => d.type === "fire" && d.id),
    [ids[0]],
    "the first fires at once, the others reserve 1000 and 2000",
  );
  t.equal(s.nextWakeupOf(domain), 1000);
  s.handleTimeout(1000);
  t.same(
    s.drain().map((d) => d.type === "fire" && d.id),
    [ids[1]],
  );
  s.complete(ids[0]!, "success", 1500);
  const late = s.register(scope, 1500);
  s.resolved(late, 1500); // due now, but 3000 is the next free point
  s.handleTimeout(2000);
  t.same(
    s.drain().map((d) => d.type === "fire" && d.id),
    [ids[2]],
  );
  s.handleTimeout(2999);
  t.same(s.drain(), [], "nothing before its point");
  s.handleTimeout(3000);
  t.same(
    s.drain().map((d) => d.type === "fire" && d.id),
    [late],
  );
});

example(
  "Pace: after an outage the first point is drawn within one interval (one draw), instead of the reconnect spread",
  { seed: 7, preset: "kiosk", policy: { budgetCapacity: 0, budgetRefillPerSecond: 0 } },
  (t, s) => {
    const { domain, scope } = place(s, false);
    s.setPace(domain, 10_000, 0);
    const [a, b] = [s.register(scope, 0), s.register(scope, 0)];
    s.resolved(a, 0);
    s.resolved(b, 0);
    s.setConditions(domain, { online: true }, 3_600_000); // an hour's outage: a 5 min spread without the pace
    const first = 3_600_000 + 10_000 * new Xoshiro128(7, 0).draw();
    t.equal(s.nextWakeupOf(domain), first, "now + interval × one draw");
    s.handleTimeout(first);
    t.same(
      s.drain().map((d) => d.type === "fire" && d.id),
      [a],
      "oldest parked first",
    );
    t.equal(s.nextWakeupOf(domain), Math.min(first + 10_000, first + 120_000), "the second one interval later");
  },
);

example(
  "Pace: a new pace re-times the reservations; a domain holding some back restarts at a random point of the new interval",
  { seed: 9, policy: plain },
  (t, s) => {
    const { domain, scope } = place(s);
    s.setPace(domain, 60_000, 0);
    const ids = [s.register(scope, 0), s.register(scope, 0), s.register(scope, 0)];
    for (const id of ids) s.resolved(id, 0);
    s.drain(); // the first fired; reservations at 60 s and 120 s
    s.setPace(domain, 1000, 10_000); // holding back: one draw
    const phase = 10_000 + 1000 * new Xoshiro128(9, 0).draw();
    t.equal(s.nextWakeupOf(domain), phase, "the older reservation takes the new first point");
    s.handleTimeout(phase + 1000);
    t.same(
      s.drain().map((d) => d.type === "fire" && d.id),
      [ids[1], ids[2]],
      "both within two new intervals",
    );
    s.setPace(domain, 0, phase + 1000);
    const free = s.register(scope, phase + 1000);
    s.resolved(free, phase + 1000);
    t.same(
      s.drain().map((d) => d.type === "fire" && d.id),
      [free],
      "no pace: at once",
    );
  },
);

example("Pace: with a grid, every fire falls on phase + k × interval, even when the domain was idle", { policy: plain }, (t, s) => {
  const { domain, scope } = place(s);
  s.setPace(domain, 1000, 0, 250);
  const [a, b] = [s.register(scope, 100), s.register(scope, 100)];
  s.resolved(a, 100);
  s.resolved(b, 100);
  t.same(s.drain(), [], "idle, but not on a grid point at 100");
  t.equal(s.nextWakeupOf(domain), 250, "the first grid point at or after 100");
  s.handleTimeout(250);
  t.same(
    s.drain().map((d) => d.type === "fire" && d.id),
    [a],
  );
  t.equal(s.nextWakeupOf(domain), 1250, "the next one interval on");
  s.setPace(domain, 1000, 1100, 400); // holding b back: it restarts at the new grid's first point, no draw
  t.equal(s.nextWakeupOf(domain), 1400, "the first point of the new grid at or after now");
});

example("removeScope frees parked registrations oldest first, then the rest as they joined: later ids follow", {}, (t, s) => {
  const { scope } = place(s, false);
  const [a, b, c] = [s.register(scope, 0), s.register(scope, 0), s.register(scope, 0)];
  t.same([a, b, c], [0, 1, 2], "slots 0, 1, 2, generation 0");
  s.resolved(b, 0); // parked first
  s.resolved(a, 0); // parked second; c is not resolved, so not parked
  t.equal(s.removeScope(scope, 0), 3);
  const other = s.createScope(0 as DomainId);
  const reused = [s.register(other, 0), s.register(other, 0), s.register(other, 0)];
  const gen1 = 2 ** 24;
  t.same(reused, [2 + gen1, 0 + gen1, 1 + gen1], "freed b, a, c; reused last-freed-first: c, a, b");
});

example("restore: 1 <= maxAttempts <= 255, 0 <= attempts < maxAttempts, times in [0, MAX_TIME]", {}, (t, s) => {
  const { scope } = place(s);
  const saved = {
    kind: "one-shot" as const,
    attempts: 1,
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
    { anchorOrExpiry: 2 ** 53 + 2 },
    { minInterval: -1 },
  ]) {
    t.throws(() => s.restore(scope, { ...saved, ...bad }, 0), { code: "BAD_ARGUMENT" }, JSON.stringify(bad));
  }
  t.throws(() => s.restore(99 as ScopeId, { ...saved, attempts: 3 }, 0), { code: "UNKNOWN_SCOPE" }, "the scope is checked first");
  const id = s.restore(scope, { ...saved, attempts: 2, delayUntil: 0 }, 10);
  t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: true }], "a past delayUntil: considered at once");
});

example(
  "restore: the next retry costs budgetRetryCost, even if the last failure was a timeout",
  {
    policy: { budgetCapacity: 10, budgetRefillPerSecond: 1, budgetRetryCost: 4, budgetTimeoutRetryCost: 8 },
  },
  (t, s) => {
    const { scope } = place(s);
    const saved = {
      kind: "one-shot" as const,
      attempts: 1,
      maxAttempts: 3,
      delayUntil: 0,
      anchorOrExpiry: 0,
      minInterval: 0,
      unmeteredOnly: false,
      allowOnBattery: true,
    };
    const first = s.restore(scope, saved, 0);
    const second = s.restore(scope, saved, 0);
    t.same(
      s.drain(),
      [
        { type: "fire", id: first, domain: 0, lastChance: false },
        { type: "fire", id: second, domain: 0, lastChance: false },
      ],
      "10 tokens pay two retries at 4 (at 8 the second would wait 2 s)",
    );
    const third = s.restore(scope, saved, 0);
    t.same(s.drain(), [], "2 tokens left: the third waits");
    t.equal(s.persisted(third).delayUntil, 0, "a budget wait is not a back-off");
    t.equal(s.nextWakeup(), 2000, "(4 - 2) tokens at 1 per second");
  },
);

example("reregister: minInterval is validated for a one-shot too, where it is unused", {}, (t, s) => {
  const { scope } = place(s);
  const id = s.register(scope, 0);
  for (const bad of [Number.NaN, -1, Infinity]) {
    t.throws(() => s.reregister(id, 0, bad), { code: "BAD_ARGUMENT" }, String(bad));
  }
  t.equal(s.reregister(id, 0, 12_345), "pending", "any valid interval is accepted and ignored");
});

example(
  "reregister: a firing periodic registration given a new interval only takes the interval",
  {
    policy: { periodicMinInterval: 0, periodicSnap: false, scopeMinGap: 0 },
  },
  (t, s) => {
    const { scope } = place(s);
    const id = s.register(scope, 0, { periodic: { minInterval: 1000 } });
    s.resolved(id, 0);
    s.handleTimeout(1000);
    t.same(s.drain(), [{ type: "fire", id, domain: 0, lastChance: false }]);
    t.equal(s.reregister(id, 1100, 2000), "firing", "a new interval (2000): still firing");
    t.equal(s.reregister(id, 1150, 2000), "reregisteredWhileFiring", "the same interval again: re-registered");
    s.complete(id, "success", 1200);
    t.equal(s.nextWakeup(), 1200 + 2000, "the next period uses the new interval");
  },
);

example("Per-domain deadline: nextWakeupOf(d) is the smallest timer of d's registrations", {}, (t, s) => {
  const a = place(s);
  const b = place(s);
  const c = place(s);
  const ida = s.register(a.scope, 0);
  s.resolved(ida, 0);
  s.complete(ida, "failure", 10);
  const idb = s.register(b.scope, 20);
  s.resolved(idb, 20);
  t.same(
    [s.nextWakeupOf(a.domain), s.nextWakeupOf(b.domain), s.nextWakeupOf(c.domain)],
    [10 + 5 * 60_000, 20 + 3 * 60_000, Infinity],
    "a back-off, an event deadline, nothing",
  );
  t.equal(s.nextWakeup(), 20 + 3 * 60_000, "the global wake-up is the smallest of them");
  t.throws(() => s.nextWakeupOf(3 as DomainId), { code: "UNKNOWN_DOMAIN" });
  t.throws(() => s.nextWakeupOf(-1 as DomainId), { code: "UNKNOWN_DOMAIN" });
});

example(
  "Decision domain: a decision names its registration's domain, recorded when it is made",
  {
    policy: { maxAttempts: 1 },
  },
  (t, s) => {
    place(s);
    const { domain, scope } = place(s);
    const id = s.register(scope, 0);
    s.resolved(id, 0);
    s.handleTimeout(3 * 60_000);
    t.same(
      s.drain(),
      [
        { type: "fire", id, domain, lastChance: true },
        { type: "timedOut", id, domain },
        { type: "dropped", id, domain, reason: "attemptsExhausted" },
      ],
      "domain 1 throughout, though the dropped registration is already freed",
    );
  },
);
