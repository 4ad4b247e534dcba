// Differential test of the scheduling core against its executable contract: random operation
// sequences (drawn in differential-ops.ts: several domains and scopes, both kinds, constraints, every outcome, condition
// flips, suspend/resume, restore, policy changes, timers fired exactly when due, and bad
// inputs) drive the Wasm core (build/scheduler.wasm) and the reference model
// (tests/reference/model.ts) identically; after every step the results or error codes, the
// drained decisions (each naming its domain), nextWakeup(), nextWakeupOf() of every created
// domain and of one unknown, liveCount and state()/persisted() of every id must match.
// The product is configured through its own policy API and the model through its own.
//
// SYNCWARD_DIFF_RUNS (default 10,000) sets the number of sequences, SYNCWARD_DIFF_SEED the
// fast-check seed (fixed by default, so CI is reproducible; `npm run bench:differential`
// draws a fresh one and prints it first).

import t from "tap";
import fc from "fast-check";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import type { PersistedRegistration, Scheduler, SchedulerOptions } from "../../wasm-core/binding/scheduler.js";
import { SchedulerError, type DomainId, type RegistrationId, type ScopeId } from "../../wasm-core/binding/codes.js";
import { ReferenceScheduler, type ModelRegistration } from "../reference/model.js";
import { FAR, scenarioArb, type IdRef, type Ref, type Scenario, type Subject, type When } from "./differential-ops.js";

const RUNS = Number(process.env.SYNCWARD_DIFF_RUNS ?? 10_000);
const SEED = Number(process.env.SYNCWARD_DIFF_SEED ?? 0x5eed2024);
if (!Number.isInteger(RUNS) || RUNS < 1 || !Number.isInteger(SEED)) {
  throw new Error("SYNCWARD_DIFF_RUNS must be a positive integer and SYNCWARD_DIFF_SEED an integer");
}
type Result = { ok: unknown } | { error: string };

/** Thrown when the core and the model disagree. */
class Disagreement extends Error {}

function show(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v !== "number" || (Number.isFinite(v) && !Object.is(v, -0))) return v;
      return Object.is(v, -0) ? "-0" : String(v);
    }) ?? "undefined"
  );
}

/** Deep equality that tells NaN, -0 and 0 apart the way Object.is does. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return Object.is(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => k in b && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

function attempt(subject: Subject, call: (s: Subject) => unknown): Result {
  try {
    return { ok: call(subject) };
  } catch (error) {
    if (error instanceof SchedulerError) return { error: error.code };
    throw error;
  }
}

const FIRING = ["firing", "reregisteredWhileFiring"];

/** One call as it was made, formatted only when a trace is shown. */
interface Traced {
  name: string;
  args: unknown[];
  result?: Result;
  drained?: unknown[];
}

function formatTrace(trace: Traced[]): string {
  return trace
    .map(({ name, args, result, drained }) => {
      const call = `${name}(${args.map(show).join(", ")})`;
      const outcome = result === undefined ? "" : "ok" in result ? ` → ${show(result.ok)}` : ` → ${result.error}`;
      return `${call}${outcome}${drained && drained.length > 0 ? `\n     drained ${show(drained)}` : ""}`;
    })
    .join("\n  ");
}

/**
 * Fresh cores, instantiated from the shared compiled module in batches: awaiting one
 * instantiation per sequence leaves the process idle for milliseconds each time (V8 runs
 * its GC tasks first), which would triple the test's wall time.
 */
let fresh: Scheduler[] = [];

/** A never-used core configured as `createScheduler(options)` would configure it. */
async function freshCore(options: SchedulerOptions): Promise<Scheduler> {
  if (fresh.length === 0) fresh = await Promise.all(Array.from({ length: 16 }, () => createScheduler()));
  const core = fresh.pop()!;
  core.usePreset(options.preset ?? "chromium");
  if (options.policy) core.setPolicy(options.policy);
  if (options.seed !== undefined) core.seed(options.seed);
  return core;
}

/** Runs one scenario on the core and a model; throws Disagreement with a readable trace. */
async function runScenario(scenario: Scenario, makeModel: (o: SchedulerOptions) => Subject): Promise<void> {
  const core: Subject = await freshCore(scenario.options);
  const model = makeModel(scenario.options);
  const trace: Traced[] = [{ name: "new Scheduler", args: [scenario.options] }];
  // Raw numbers on purpose: the ops also pass ids that were never handed out.
  const domains: DomainId[] = [];
  const scopes: ScopeId[] = [];
  const ids: RegistrationId[] = [];
  let clock = 0;

  const fail = (what: string, m: unknown, c: unknown): never => {
    throw new Disagreement(
      `core and model disagree on ${what}\n  model: ${show(m)}\n  core:  ${show(c)}\n` + `calls (the last one is where they part):\n  ${formatTrace(trace)}`,
    );
  };

  /** One step: the model first (so a model bug cannot hang the core), then the core. */
  const step = (name: string, args: unknown[], call: (s: Subject) => unknown): Result => {
    const traced: Traced = { name, args };
    trace.push(traced);
    const m = attempt(model, call);
    traced.result = m;
    const c = attempt(core, call);
    if (!same(m, c)) fail("the result", m, c);
    const md = model.drain();
    const cd = core.drain();
    traced.drained = md;
    if (!same(md, cd)) fail("the drained decisions", md, cd);
    if (!Object.is(model.nextWakeup(), core.nextWakeup())) fail("nextWakeup()", model.nextWakeup(), core.nextWakeup());
    for (const d of [...domains, domains.length as DomainId]) {
      const mw = attempt(model, (x) => x.nextWakeupOf(d));
      const cw = attempt(core, (x) => x.nextWakeupOf(d));
      if (!same(mw, cw)) fail(`nextWakeupOf(${d})`, mw, cw);
    }
    if (model.liveCount !== core.liveCount) fail("liveCount", model.liveCount, core.liveCount);
    for (const id of ids) {
      const has = model.has(id);
      if (has !== core.has(id)) fail(`has(${id})`, has, core.has(id));
      if (!has) continue;
      if (model.state(id) !== core.state(id)) fail(`state(${id})`, model.state(id), core.state(id));
      const mp = model.persisted(id);
      const cp = core.persisted(id);
      if (!same(mp, cp)) fail(`persisted(${id})`, mp, cp);
    }
    return m;
  };

  /** The time `when` names, without moving the clock. */
  const at = (when: When): number => {
    if ("dt" in when) return clock + when.dt;
    if ("bad" in when) return when.bad;
    if ("back" in when) return clock - when.back;
    const wake = model.nextWakeup();
    return Number.isFinite(wake) && wake <= FAR ? Math.max(clock, wake - when.wake) : clock;
  };
  /** The time of a call: a step forward moves the clock; bad and backward times do not. */
  const time = (when: When): number => {
    const now = at(when);
    if ("dt" in when || "wake" in when) clock = now;
    return now;
  };
  const pick = <Id extends number>(list: Id[], ref: Ref): Id => ("raw" in ref ? ref.raw : list.length === 0 ? ref.n : list[ref.n % list.length]!) as Id;
  const pickId = (ref: IdRef): RegistrationId => {
    if ("raw" in ref) return ref.raw as RegistrationId;
    const live = ids.filter((id) => model.has(id));
    const firing = live.filter((id) => FIRING.includes(model.state(id)));
    const list = ref.from === "firing" && firing.length > 0 ? firing : ref.from === "known" ? ids : live;
    return list.length === 0 ? (ref.n as RegistrationId) : list[ref.n % list.length]!;
  };
  const remember = <Id extends number>(list: Id[], result: Result) => {
    if ("ok" in result && typeof result.ok === "number" && !list.includes(result.ok as Id)) list.push(result.ok as Id);
  };

  // Setup: the domains with their first conditions at time 0, then the scopes.
  for (const conditions of scenario.domains) {
    remember(
      domains,
      step("createDomain", [], (s) => s.createDomain()),
    );
    const d = domains[domains.length - 1]!;
    step("setConditions", [d, conditions, 0], (s) => s.setConditions(d, conditions, 0));
  }
  for (const k of scenario.scopes) {
    const d = domains[k % domains.length]!;
    remember(
      scopes,
      step("createScope", [d], (s) => s.createScope(d)),
    );
  }

  for (const op of scenario.ops) {
    switch (op.op) {
      case "createDomain":
        remember(
          domains,
          step("createDomain", [], (s) => s.createDomain()),
        );
        break;
      case "createScope": {
        const d = pick(domains, op.domain);
        remember(
          scopes,
          step("createScope", [d], (s) => s.createScope(d)),
        );
        break;
      }
      case "setConditions": {
        const d = pick(domains, op.domain);
        const now = time(op.when);
        const c = { online: op.online, metered: op.metered, onBattery: op.onBattery };
        step("setConditions", [d, c, now], (s) => s.setConditions(d, c, now));
        break;
      }
      case "setPace": {
        const d = pick(domains, op.domain);
        const now = time(op.when);
        step("setPace", [d, op.interval, now, op.phase], (s) => s.setPace(d, op.interval, now, op.phase));
        break;
      }
      case "setScopeOnline": {
        const sc = pick(scopes, op.scope);
        const now = time(op.when);
        step("setScopeOnline", [sc, op.online, now], (s) => s.setScopeOnline(sc, op.online, now));
        break;
      }
      case "setScopeMinGap": {
        const sc = pick(scopes, op.scope);
        step("setScopeMinGap", [sc, op.ms], (s) => s.setScopeMinGap(sc, op.ms));
        break;
      }
      case "joinOrigin": {
        const sc = pick(scopes, op.scope);
        const other = pick(scopes, op.other);
        step("joinOrigin", [sc, other], (s) => s.joinOrigin(sc, other));
        break;
      }
      case "removeScope": {
        const sc = pick(scopes, op.scope);
        const now = time(op.when);
        step("removeScope", [sc, now], (s) => s.removeScope(sc, now));
        break;
      }
      case "register": {
        const sc = pick(scopes, op.scope);
        const now = time(op.when);
        const options = {
          ...(op.periodic === null ? {} : { periodic: { minInterval: op.periodic } }),
          ...(op.unmeteredOnly ? { unmeteredOnly: true } : {}),
          ...(op.allowOnBattery ? {} : { allowOnBattery: false }),
        };
        const r = step("register", [sc, now, options], (s) => s.register(sc, now, options));
        remember(ids, r);
        if (op.thenResolve && "ok" in r) {
          const id = r.ok as RegistrationId;
          step("resolved", [id, now], (s) => s.resolved(id, now));
        }
        break;
      }
      case "resolved": {
        const id = pickId(op.id);
        const now = time(op.when);
        step("resolved", [id, now], (s) => s.resolved(id, now));
        break;
      }
      case "reregister": {
        const id = pickId(op.id);
        const now = time(op.when);
        const interval = op.minInterval === "same" ? (model.has(id) ? model.persisted(id).minInterval : 0) : op.minInterval;
        step("reregister", [id, now, interval], (s) => s.reregister(id, now, interval));
        break;
      }
      case "complete": {
        const id = pickId(op.id);
        const now = time(op.when);
        step("complete", [id, op.outcome, now, op.retryAfter], (s) => s.complete(id, op.outcome, now, op.retryAfter));
        break;
      }
      case "unregister": {
        const id = pickId(op.id);
        const now = time(op.when);
        step("unregister", [id, now], (s) => s.unregister(id, now));
        break;
      }
      case "setSuspended": {
        const id = pickId(op.id);
        const now = time(op.when);
        step("setSuspended", [id, op.suspended, now], (s) => s.setSuspended(id, op.suspended, now));
        break;
      }
      case "restore": {
        const sc = pick(scopes, op.scope);
        let saved: PersistedRegistration;
        if ("copy" in op.source) {
          const from = pickId(op.source.copy);
          saved = model.has(from)
            ? model.persisted(from)
            : {
                kind: "one-shot",
                attempts: 1,
                maxAttempts: 3,
                delayUntil: clock + 100,
                anchorOrExpiry: 0,
                minInterval: 0,
                unmeteredOnly: false,
                allowOnBattery: true,
              };
        } else {
          const { delayUntil, t0, ...rest } = op.source;
          saved = { ...rest, delayUntil: delayUntil === "none" ? 0 : at(delayUntil), anchorOrExpiry: t0 };
        }
        const now = time(op.when);
        remember(
          ids,
          step("restore", [sc, saved, now], (s) => s.restore(sc, saved, now)),
        );
        break;
      }
      case "handleTimeout": {
        const now = time(op.when);
        step("handleTimeout", [now], (s) => s.handleTimeout(now));
        break;
      }
      case "setPolicy": {
        step("setPolicy", [op.overrides], (s) => s.setPolicy(op.overrides));
        const mp = model.policy();
        const cp = core.policy();
        if (!same(mp, cp)) fail("policy()", mp, cp);
        break;
      }
    }
  }
}

// ---------------------------------------------------------------- the tests

const newModel = (o: SchedulerOptions): Subject => new ReferenceScheduler(o);

/** Run the property; on failure, replay the shrunk counterexample for its readable trace. */
async function check(makeModel: (o: SchedulerOptions) => Subject, params: fc.Parameters<[Scenario]>) {
  // Thousands of SchedulerErrors are thrown by design; their stack traces are never read.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let details: fc.RunDetails<[Scenario]>;
  try {
    details = await fc.check(
      fc.asyncProperty(scenarioArb, (s) => runScenario(s, makeModel)),
      params,
    );
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  let replay = "";
  if (details.failed && details.counterexample) {
    replay = await runScenario(details.counterexample[0], makeModel).then(
      () => "(the counterexample passed on replay)",
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
  }
  return { details, replay };
}

t.setTimeout(Math.max(240_000, RUNS * 30));

t.test("the Wasm core and the reference model agree on random operation sequences", async (t) => {
  t.comment(`fast-check seed ${SEED} (SYNCWARD_DIFF_SEED), ${RUNS} sequences (SYNCWARD_DIFF_RUNS)`);
  const started = Date.now();
  const { details, replay } = await check(newModel, { numRuns: RUNS, seed: SEED });
  t.comment(`${details.numRuns} sequences in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (details.failed) {
    t.comment(fc.defaultReportMessage(details) ?? "property failed");
    t.comment(`Replay of the shrunk counterexample:\n${replay}`);
    t.fail("the core and the model disagree: see the calls above (fast-check seed and path to replay it)");
  } else {
    t.equal(details.numRuns, RUNS, "every sequence agreed");
  }
});

/** A deliberately wrong model: lastChance one attempt late. */
class LateLastChance extends ReferenceScheduler {
  protected override isLastChance(r: Readonly<ModelRegistration>, now: number): boolean {
    return r.kind === "one-shot" && (r.attempts >= r.maxAttempts || (r.expiresAt > 0 && now >= r.expiresAt));
  }
}

t.test("the comparison catches a model that computes lastChance one attempt late", async (t) => {
  const { details } = await check((o) => new LateLastChance(o), { numRuns: 300, seed: SEED, endOnFailure: true });
  t.ok(details.failed, `a counterexample within 300 sequences (found after ${details.numRuns})`);
  t.ok(details.errorInstance instanceof Disagreement, "and it is a disagreement, not a crash");
});
