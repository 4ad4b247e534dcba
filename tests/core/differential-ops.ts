// The operation sequences of the differential test (differential.test.ts): what a sequence
// holds and how fast-check draws it. Ops name domains, scopes and registrations by index into
// what the run has made so far, or by a raw number that may be nothing at all, so that bad
// input is compared as carefully as good.

import fc from "fast-check";
import type { Scheduler, SchedulerOptions } from "../../wasm-core/binding/scheduler.js";
import type { Outcome } from "../../wasm-core/binding/codes.js";
import { JITTER_MODES, PRESETS, type JitterMode, type Policy } from "../../wasm-core/binding/policy.js";

export const HOUR = 3_600_000;
/** The generator never jumps time past this, far below where `now + timeout == now`. */
export const FAR = 2 ** 40;

/** What the test drives: the typed Scheduler's host-facing surface. */
export type Subject = Pick<
  Scheduler,
  | "createDomain"
  | "createScope"
  | "setConditions"
  | "setPace"
  | "setScopeOnline"
  | "setScopeMinGap"
  | "joinOrigin"
  | "removeScope"
  | "register"
  | "restore"
  | "resolved"
  | "reregister"
  | "complete"
  | "unregister"
  | "setSuspended"
  | "handleTimeout"
  | "nextWakeup"
  | "nextWakeupOf"
  | "drain"
  | "state"
  | "has"
  | "persisted"
  | "liveCount"
  | "setPolicy"
  | "policy"
>;

// ---------------------------------------------------------------- the generated scenario

/** When a call happens, relative to the sequence's clock. */
export type When =
  | { dt: number } // advance the clock by dt
  | { wake: number } // at nextWakeup() - wake (not before the clock)
  | { bad: number } // an invalid time
  | { back: number }; // the clock minus `back`: backwards

/** A domain or scope: the n-th created (modulo), or a raw number. */
export type Ref = { n: number } | { raw: number };
/** A registration id: among the firing, the live, all ids ever seen, or raw. */
export type IdRef = { from: "firing" | "live" | "known"; n: number } | { raw: number };

export type RestoreSource =
  | { copy: IdRef }
  | {
      kind: "one-shot" | "periodic";
      attempts: number;
      maxAttempts: number;
      delayUntil: When | "none";
      t0: number;
      minInterval: number;
      unmeteredOnly: boolean;
      allowOnBattery: boolean;
    };

export type Op =
  | { op: "createDomain" }
  | { op: "createScope"; domain: Ref }
  | { op: "setConditions"; domain: Ref; online: boolean; metered: boolean; onBattery: boolean; when: When }
  | { op: "setPace"; domain: Ref; interval: number; phase: number; when: When }
  | { op: "setScopeOnline"; scope: Ref; online: boolean; when: When }
  | { op: "setScopeMinGap"; scope: Ref; ms: number }
  | { op: "joinOrigin"; scope: Ref; other: Ref }
  | { op: "removeScope"; scope: Ref; when: When }
  | {
      op: "register";
      scope: Ref;
      periodic: number | null;
      unmeteredOnly: boolean;
      allowOnBattery: boolean;
      thenResolve: boolean;
      when: When;
    }
  | { op: "resolved"; id: IdRef; when: When }
  | { op: "reregister"; id: IdRef; minInterval: number | "same"; when: When }
  | { op: "complete"; id: IdRef; outcome: Outcome; retryAfter: number; when: When }
  | { op: "unregister"; id: IdRef; when: When }
  | { op: "setSuspended"; id: IdRef; suspended: boolean; when: When }
  | { op: "restore"; scope: Ref; source: RestoreSource; when: When }
  | { op: "handleTimeout"; when: When }
  | { op: "setPolicy"; overrides: Partial<Policy> };

export interface Scenario {
  options: SchedulerOptions;
  domains: { online: boolean; metered: boolean; onBattery: boolean }[];
  /** Domain index (modulo) of each initial scope. */
  scopes: number[];
  ops: Op[];
}

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const small = (max: number) => fc.double({ min: 0, max, noNaN: true });
const mostly = <T>(value: T, other: fc.Arbitrary<T>, odds = 3) => fc.oneof(w(odds, fc.constant(value)), w(1, other));

const dtArb = fc.oneof(
  w(6, fc.constant(0)),
  w(6, fc.integer({ min: 1, max: 50 })),
  w(4, fc.integer({ min: 51, max: 2_000 })),
  w(1, fc.integer({ min: 2_001, max: 2 * HOUR })),
  w(2, small(100)),
);
const badTimeArb = fc.constantFrom(Number.NaN, -1, -0.5, Infinity, -Infinity, 2 ** 52 + 2);
const whenArb: fc.Arbitrary<When> = fc.oneof(
  w(
    40,
    dtArb.map((dt) => ({ dt })),
  ),
  w(
    3,
    fc.constantFrom(0, 0, 1, 0.5).map((wake) => ({ wake })),
  ),
  w(
    1,
    badTimeArb.map((bad) => ({ bad })),
  ),
  w(
    1,
    fc.constantFrom(1, 0.25, 1000).map((back) => ({ back })),
  ),
);
const timeoutWhenArb: fc.Arbitrary<When> = fc.oneof(
  w(12, fc.constant({ wake: 0 })),
  w(
    2,
    fc.constantFrom(1, 0.5).map((wake) => ({ wake })),
  ),
  w(
    5,
    dtArb.map((dt) => ({ dt })),
  ),
  w(
    1,
    badTimeArb.map((bad) => ({ bad })),
  ),
  w(
    1,
    fc.constantFrom(1, 1000).map((back) => ({ back })),
  ),
);

const rawIdArb = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(-1, 2 ** 24, 2 ** 24 + 1, 2 ** 31 - 1, 2 ** 31, 1.5));
const refArb: fc.Arbitrary<Ref> = fc.oneof(
  w(
    20,
    fc.nat(20).map((n) => ({ n })),
  ),
  w(
    1,
    fc.constantFrom(-1, 7, 99, 2 ** 31, 0.5).map((raw) => ({ raw })),
  ),
);
const idRefArb = (firing: number): fc.Arbitrary<IdRef> =>
  fc.oneof(
    w(
      firing,
      fc.nat(30).map((n) => ({ from: "firing" as const, n })),
    ),
    w(
      20,
      fc.nat(30).map((n) => ({ from: "live" as const, n })),
    ),
    w(
      3,
      fc.nat(60).map((n) => ({ from: "known" as const, n })),
    ),
    w(
      2,
      rawIdArb.map((raw) => ({ raw })),
    ),
  );
const intervalArb = fc.oneof(
  w(4, fc.constant(0)),
  w(3, fc.integer({ min: 1, max: 3_000 })),
  w(1, small(500)),
  w(1, fc.constantFrom(Number.NaN, -1, Infinity, 2 ** 53 + 2, 2 ** 53)),
);

// Policies: valid overrides, at small scales so retries, budgets and periods interact.
const budgetArb: fc.Arbitrary<Partial<Policy>> = fc.oneof(
  fc.constant({ budgetCapacity: 0 }),
  fc.record(
    {
      budgetRefillPerSecond: fc.oneof(fc.constantFrom(0.001, 0.01, 0.3, 0.5, 1, 5), fc.double({ min: 0.001, max: 10, noNaN: true })),
      budgetCapacity: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0.5, max: 30, noNaN: true })),
      budgetRetryCost: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }), small(12)),
      budgetTimeoutRetryCost: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
      budgetSuccessRefund: fc.oneof(fc.integer({ min: 0, max: 3 }), small(3)),
    },
    { requiredKeys: ["budgetRefillPerSecond", "budgetCapacity"] },
  ),
);
const fieldArbs = {
  maxAttempts: fc.integer({ min: 1, max: 6 }),
  initialRetryDelay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 }), small(500)),
  retryDelayFactor: fc.oneof(fc.constantFrom(1, 1.5, 2, 3, 10), fc.double({ min: 1, max: 5, noNaN: true })),
  maxRetryDelay: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 3_000 })),
  jitter: fc.constantFrom(...JITTER_MODES),
  jitterRatio: small(1),
  eventTimeout: fc.oneof(fc.integer({ min: 1, max: 1_500 }), fc.double({ min: 1, max: 100, noNaN: true })),
  lastChanceEventTimeout: fc.integer({ min: 1, max: 1_500 }),
  reregisterBypassesBackoff: fc.boolean(),
  maxRetention: mostly(0, fc.integer({ min: 1, max: 4_000 }), 1),
  reconnectSpreadRatio: mostly(0, small(2), 1),
  reconnectSpreadMax: mostly(0, fc.integer({ min: 1, max: 2_000 }), 1),
  periodicMinInterval: mostly(0, fc.integer({ min: 1, max: 3_000 }), 1),
  periodicMaxAttempts: fc.integer({ min: 1, max: 5 }),
  periodicSnap: fc.boolean(),
  scopeMinGap: mostly(0, fc.integer({ min: 1, max: 3_000 }), 1),
  wakeupGranularity: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 }), fc.constant(0.5)),
  maxRegistrations: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(2 ** 24)),
  maxAbortedAttempts: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.constant(255)),
};
const withBudget = (fields: fc.Arbitrary<Partial<Policy>>) => fc.tuple(fields, budgetArb).map(([a, b]): Partial<Policy> => ({ ...a, ...b }));
const policyArb: fc.Arbitrary<Partial<Policy> | undefined> = fc.oneof(
  w(1, fc.constant(undefined)),
  w(2, withBudget(fc.record(fieldArbs, { requiredKeys: [] }))),
  w(4, withBudget(fc.record(fieldArbs))),
);
const badPolicyArb = fc.constantFrom<Partial<Policy>>(
  { maxAttempts: 0 },
  { maxAttempts: 256 },
  { maxAttempts: 1.5 },
  { initialRetryDelay: -1 },
  { initialRetryDelay: Number.NaN },
  { retryDelayFactor: 0.5 },
  { retryDelayFactor: Infinity },
  { maxRetryDelay: -1 },
  { jitter: "bogus" as JitterMode },
  { jitterRatio: 1.5 },
  { eventTimeout: 0 },
  { lastChanceEventTimeout: Infinity },
  { reregisterBypassesBackoff: 2 as unknown as boolean },
  { maxRetention: 2 ** 53 + 2 },
  { budgetCapacity: 10, budgetRefillPerSecond: 0 },
  { budgetRefillPerSecond: -1 },
  { maxRegistrations: 0 },
  { maxRegistrations: 2 ** 24 + 1 },
  { periodicMinInterval: Number.NaN },
  { scopeMinGap: -5 },
  { wakeupGranularity: Infinity },
  { maxAttempts: 2, eventTimeout: -1 },
  { maxAbortedAttempts: -1 },
  { maxAbortedAttempts: 256 },
  { maxAbortedAttempts: 1.5 },
  { bogusField: 1 } as unknown as Partial<Policy>,
);

const restoreSourceArb: fc.Arbitrary<RestoreSource> = fc.oneof(
  w(
    2,
    idRefArb(2).map((copy) => ({ copy })),
  ),
  w(
    1,
    fc.record({
      kind: fc.constantFrom("one-shot" as const, "periodic" as const),
      attempts: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(-1, 255)),
      maxAttempts: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(0, 255, 256)),
      delayUntil: fc.oneof(w(2, fc.constant("none" as const)), w(3, whenArb)),
      t0: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 6_000 }), fc.constantFrom(Number.NaN, -1, 2 ** 53 + 2)),
      minInterval: intervalArb,
      unmeteredOnly: fc.boolean(),
      allowOnBattery: fc.boolean(),
    }),
  ),
);

/** true with odds yes : no. */
const flag = (yes: number, no = 1) => fc.oneof(w(yes, fc.constant(true)), w(no, fc.constant(false)));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  w(1, fc.constant({ op: "createDomain" as const })),
  w(1, fc.record({ op: fc.constant("createScope" as const), domain: refArb })),
  w(
    7,
    fc.record({
      op: fc.constant("setConditions" as const),
      domain: refArb,
      online: flag(3),
      metered: flag(1, 2),
      onBattery: flag(1, 2),
      when: whenArb,
    }),
  ),
  w(
    4,
    fc
      .record({
        op: fc.constant("setPace" as const),
        domain: refArb,
        interval: intervalArb,
        phase: fc.oneof(w(3, fc.constant(-1)), w(3, small(1)), w(1, fc.constantFrom(Number.NaN, -0.5, 1))),
        when: whenArb,
      })
      // A phase as a fraction of the interval (1: exactly the interval, refused), or -1 and bad values as they are.
      .map((o) => ({ ...o, phase: o.phase >= 0 && o.phase <= 1 ? o.phase * o.interval : o.phase })),
  ),
  w(4, fc.record({ op: fc.constant("setScopeOnline" as const), scope: refArb, online: fc.boolean(), when: whenArb })),
  w(1, fc.record({ op: fc.constant("setScopeMinGap" as const), scope: refArb, ms: intervalArb })),
  w(2, fc.record({ op: fc.constant("joinOrigin" as const), scope: refArb, other: refArb })),
  w(1, fc.record({ op: fc.constant("removeScope" as const), scope: refArb, when: whenArb })),
  w(
    12,
    fc.record({
      op: fc.constant("register" as const),
      scope: refArb,
      periodic: fc.oneof(w(3, fc.constant(null)), w(2, intervalArb)),
      unmeteredOnly: flag(1, 3),
      allowOnBattery: flag(4),
      thenResolve: flag(5),
      when: whenArb,
    }),
  ),
  w(3, fc.record({ op: fc.constant("resolved" as const), id: idRefArb(1), when: whenArb })),
  w(
    6,
    fc.record({
      op: fc.constant("reregister" as const),
      id: idRefArb(15),
      minInterval: fc.oneof(w(3, fc.constant("same" as const)), w(2, intervalArb)),
      when: whenArb,
    }),
  ),
  w(
    22,
    fc.record({
      op: fc.constant("complete" as const),
      id: idRefArb(300),
      outcome: fc.oneof(
        w(6, fc.constantFrom<Outcome>("success", "failure", "timeout", "aborted", "failure", "undelivered")),
        w(1, fc.constant("bogus" as Outcome)),
      ),
      retryAfter: fc.oneof(
        w(6, fc.constant(0)),
        w(2, fc.integer({ min: 1, max: 5_000 })),
        w(1, small(50)),
        w(1, fc.constantFrom(Number.NaN, -1, Infinity, 2 ** 53 + 2)),
      ),
      when: whenArb,
    }),
  ),
  w(3, fc.record({ op: fc.constant("unregister" as const), id: idRefArb(3), when: whenArb })),
  w(5, fc.record({ op: fc.constant("setSuspended" as const), id: idRefArb(3), suspended: fc.boolean(), when: whenArb })),
  w(3, fc.record({ op: fc.constant("restore" as const), scope: refArb, source: restoreSourceArb, when: whenArb })),
  w(20, fc.record({ op: fc.constant("handleTimeout" as const), when: timeoutWhenArb })),
  w(
    1,
    fc.record({
      op: fc.constant("setPolicy" as const),
      overrides: fc.oneof(w(3, badPolicyArb), w(1, fc.record(fieldArbs, { requiredKeys: [] })), w(1, budgetArb)),
    }),
  ),
);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  options: fc
    .record({
      preset: fc.constantFrom(...PRESETS),
      policy: policyArb,
      seed: fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)),
    })
    .map(({ preset, policy, seed }): SchedulerOptions => (policy ? { preset, policy, seed } : { preset, seed })),
  domains: fc.array(fc.record({ online: flag(4), metered: flag(1, 3), onBattery: flag(1, 3) }), { minLength: 1, maxLength: 3 }),
  scopes: fc.array(fc.nat(2), { minLength: 1, maxLength: 5 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 70, size: "max" }),
});

// ---------------------------------------------------------------- running a scenario
