// The WebAssembly Component (build/scheduler.component.wasm, transpiled by jco into
// build/component/) must decide exactly what the raw core module decides. The same host
// scenario runs against both, each recording every return value, every drained decision (with
// its domain) and the next wake-up, global and per domain, after every input; the two
// records must be identical.
// `npm run build` (asc, then scripts/componentize.mjs) makes the inputs.
import t from "tap";
import { readFile } from "node:fs/promises";
import {
  Traced,
  componentScheduler,
  componentWasm,
  coreWasm,
  firstDifference,
  rawScheduler,
  type Inputs,
  type Output,
  type OutputKind,
  type SchedulerInterface,
} from "./component-faces.js";

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

// Policy field indexes (wasm-core/src/policy.ts).
const F_JITTER = 4;
const F_MAX_RETENTION = 9;
const F_BUDGET_CAPACITY = 12;
const F_BUDGET_REFILL = 16;
const F_FIELD_COUNT = 23;

// complete() outcomes.
const SUCCESS = 0;
const FAILURE = 1;
const TIMEOUT = 2;
const ABORTED = 3;

/** A host: answers each fire in a fixed rotation of behaviours, and sleeps until the next wake-up. */
class Host {
  now = 0;
  readonly counts: Record<OutputKind, number> = { fire: 0, "timed-out": 0, dropped: 0 };
  readonly ids = new Set<number>();
  readonly intervals = new Map<number, number>();
  #jobs: { at: number; seq: number; run: () => void }[] = [];
  #seq = 0;

  constructor(readonly s: Traced) {}

  #later(at: number, run: () => void): void {
    this.#jobs.push({ at, seq: this.#seq++, run });
    this.#jobs.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  #answer(id: number, at: number): void {
    const plan = this.counts.fire % 8;
    const complete = (outcome: number, after: number, retryAfter = 0): void =>
      this.#later(at + after, () => this.s.input("complete", id, outcome, retryAfter, this.now));
    switch (plan) {
      case 0:
        return complete(FAILURE, 2 * SEC);
      case 1:
        return complete(SUCCESS, 1 * SEC);
      case 2:
        return; // never answers: the core times the event out
      case 3:
        return complete(FAILURE, 3 * SEC, 10 * MIN); // with a Retry-After
      case 4: // the page registers the same tag again while the event runs
        this.#later(at + 500, () => this.s.input("reregister", id, this.intervals.get(id) ?? 0, this.now));
        return complete(SUCCESS, 1500);
      case 5:
        return complete(ABORTED, 1 * SEC);
      case 6:
        return complete(TIMEOUT, 2500);
      default:
        return complete(FAILURE, 700);
    }
  }

  #handle(): void {
    for (const out of this.s.inbox.splice(0)) {
      if (out.kind === "fire") this.#answer(out.id, this.now);
      this.counts[out.kind]++;
    }
  }

  /** Run the host until `until`: timers at their wake-ups, answers at their times. */
  advance(until: number, polled = false): void {
    for (let guard = 0; ; guard++) {
      if (guard > 100_000) throw new Error("the host loop does not settle");
      const wake = this.s.core.nextWakeup();
      const job = this.#jobs[0];
      const jobAt = job?.at ?? Infinity;
      if (Math.min(wake, jobAt) > until) break;
      if (job && jobAt <= wake) {
        this.#jobs.shift();
        this.now = Math.max(this.now, jobAt);
        job.run();
      } else {
        this.now = Math.max(this.now, wake);
        if (polled) this.s.inputPolled("handleTimeout", this.now);
        else this.s.input("handleTimeout", this.now);
      }
      this.#handle();
    }
    this.now = Math.max(this.now, until);
  }

  register(scope: number, kind: number, options: number, minInterval: number, resolve = true): number {
    const id = this.s.input("register", scope, kind, options, minInterval, this.now);
    if (id >= 0) {
      this.ids.add(id);
      this.intervals.set(id, minInterval);
      if (resolve) this.s.input("resolved", id, this.now);
      this.#handle();
    }
    return id;
  }

  /** Any input at the host's current time, its decisions handled. */
  do<K extends Inputs>(name: K, ...args: Parameters<SchedulerInterface[K]>): number {
    const result = this.s.input(name, ...args);
    this.#handle();
    return result;
  }
}

/** The scenario, as a host would drive it; returns the host for its counts. */
function scenario(s: Traced, preset: "chromium" | "kiosk", seed: readonly [number, number]): Host {
  const h = new Host(s);
  const kiosk = preset === "kiosk";
  s.input("usePreset", kiosk ? 1 : 0);
  s.input("seed", seed[0], seed[1]);
  if (kiosk) {
    s.input("setPolicy", F_MAX_RETENTION, 6 * HOUR); // one-shots expire within the run
    s.input("setPolicy", F_BUDGET_CAPACITY, 25); // a small retry budget that runs dry
    s.input("setPolicy", F_BUDGET_REFILL, 0.002);
  }
  s.input("setPolicy", F_JITTER, 9); // refused
  for (let f = -1; f <= F_FIELD_COUNT; f++) s.query("getPolicy", f);

  const [d0, d1, d2] = [s.input("createDomain"), s.input("createDomain"), s.input("createDomain")];
  const a = s.input("createScope", d0);
  const b = s.input("createScope", d0);
  const c = s.input("createScope", d1);
  const e = s.input("createScope", d2);
  const doomed = s.input("createScope", d2);
  h.do("setDomainConditions", d0, 1, 0); // online
  h.do("setDomainConditions", d1, 3, 0); // online, metered
  h.do("setScopeMinGap", b, 2 * HOUR);
  h.advance(1 * SEC);

  const oneShots = [h.register(a, 0, 0, 0), h.register(a, 0, 2, 0), h.register(b, 0, 0, 0)];
  const unmetered = h.register(c, 0, 1, 0); // parked: d1 is metered
  const late = h.register(a, 0, 0, 0, false); // resolved later
  const p1 = h.register(a, 1, 0, 12 * HOUR);
  const p2 = h.register(b, 1, 0, 1 * HOUR);
  const p3 = h.register(c, 1, 0, 30 * MIN);
  const offline = [0, 1, 2, 3, 4, 5].map((i) => h.register(e, i % 2, 0, i % 2 ? 20 * MIN : 0)); // d2 offline
  const gone = [h.register(doomed, 0, 0, 0), h.register(doomed, 1, 0, HOUR)];
  s.snapshot(h.ids);

  h.advance(10 * MIN, true);
  h.do("resolved", late, h.now);
  h.do("resolved", late, h.now); // again: no-op
  h.do("setScopeOnline", b, false, h.now);
  h.advance(40 * MIN);
  h.do("setScopeOnline", b, true, h.now);
  h.do("setDomainConditions", d1, 1, h.now); // metered off: the unmetered-only one may go
  h.advance(3 * HOUR);
  h.do("setDomainConditions", d2, 1, h.now); // online after 3 h offline: the reconnect spread
  h.do("removeScope", doomed, h.now);
  h.do("setSuspended", p2, true, h.now);
  h.do("setSuspended", oneShots[0]!, true, h.now); // one-shot: refused (or unknown by now)
  s.snapshot(h.ids);
  h.advance(h.now + 2 * HOUR);
  h.do("setSuspended", p2, false, h.now);
  h.do("reregister", p3, 45 * MIN, h.now); // a new interval re-times it
  h.do("unregister", offline[0]!, h.now);
  h.do("unregister", offline[0]!, h.now); // twice: unknown
  const restored = [
    h.do("restore", a, 0, 0, 1, kiosk ? 12 : 3, h.now + 20 * MIN, 0, 0, h.now),
    h.do("restore", b, 1, 2, 1, 3, h.now + 5 * MIN, h.now - HOUR, 2 * HOUR, h.now),
    h.do("restore", c, 0, 1, 0, 3, 0, 0, 0, h.now),
  ];
  restored.forEach((id) => h.ids.add(id));
  s.snapshot(h.ids);

  // Two days of flapping: outages, battery, metered spells, new registrations reusing slots.
  for (let day = 0; day < 2; day++) {
    if (kiosk) h.do("setPolicy", F_JITTER, 1 + ((day * 2 + 1) % 4)); // full, equal, decorrelated, ratio
    for (let hour = 0; hour < 24; hour += 3) {
      const t0 = h.now;
      h.advance(t0 + 40 * MIN);
      h.do("setDomainPace", d0, hour % 2 ? 0 : 7 * MIN, hour % 4 ? -1 : 3 * MIN, h.now); // paced on even hours, on a grid every fourth
      h.do("setDomainPace", d0, -1, -1, h.now); // refused
      h.do("setDomainPace", d0, MIN, MIN, h.now); // refused: the phase must be below the interval
      h.do("setDomainConditions", d0, 0, h.now); // offline
      h.do("setDomainConditions", d2, 5, h.now); // on battery
      h.register(a, 0, 0, 0);
      h.register(e, 0, 2, 0); // not on battery: parked
      h.advance(t0 + (hour % 2 ? 2 : 1) * HOUR);
      h.do("setDomainConditions", d0, 1, h.now);
      h.do("setDomainConditions", d2, 1, h.now);
      h.do("setScopeOnline", a, hour !== 9, h.now);
      h.do("setDomainConditions", d1, hour === 12 ? 3 : 1, h.now);
      h.advance(t0 + 3 * HOUR);
    }
    s.snapshot(h.ids);
    h.do("unregister", p1, h.now);
    h.register(a, 1, 0, 6 * HOUR);
  }
  h.advance(h.now + DAY);
  s.snapshot([...h.ids, ...gone, ...offline, unmetered, p1, -1, 0x7fffffff]);
  return h;
}

/** Inputs the core must refuse, with the code it must refuse them with. */
function badInputs(s: Traced): { call: string; expected: number; got: number }[] {
  const out: { call: string; expected: number; got: number }[] = [];
  const check = (call: string, expected: number, run: () => number): void => {
    out.push({ call, expected, got: run() });
  };
  const d = s.input("createDomain");
  const scope = s.input("createScope", d);
  s.input("setDomainConditions", d, 1, 100);
  const id = s.input("register", scope, 0, 0, 0, 100);
  const periodic = s.input("register", scope, 1, 0, HOUR, 100);
  check("complete before firing", -7, () => s.input("complete", id, SUCCESS, 0, 100));
  check("unknown id", -1, () => s.input("resolved", 12345, 100));
  check("unknown scope", -2, () => s.input("register", 99, 0, 0, 0, 100));
  check("unknown domain", -3, () => s.input("createScope", 42));
  check("negative time", -4, () => s.input("handleTimeout", -1));
  check("NaN time", -4, () => s.input("unregister", id, NaN));
  check("infinite time", -4, () => s.input("resolved", id, Infinity));
  check("time went backwards", -5, () => s.input("resolved", id, 99));
  check("bad kind", -6, () => s.input("register", scope, 2, 0, 0, 100));
  check("bad options", -6, () => s.input("register", scope, 0, 4, 0, 100));
  check("negative interval", -6, () => s.input("register", scope, 1, 0, -5, 100));
  check("bad conditions", -6, () => s.input("setDomainConditions", d, 8, 100));
  check("suspend a one-shot", -6, () => s.input("setSuspended", id, true, 100));
  check("restore attempts >= max", -6, () => s.input("restore", scope, 0, 0, 3, 3, 0, 0, 0, 100));
  check("bad preset", -9, () => s.input("usePreset", 7));
  check("bad policy value", -9, () => s.input("setPolicy", 0, 0));
  check("bad policy field", -9, () => s.input("setPolicy", 99, 1));
  s.input("resolved", id, 100);
  check("complete with bad outcome", -6, () => s.input("complete", id, 5, 0, 100));
  s.snapshot([id, periodic]);
  return out;
}

t.test("the component file is a component, not a core module", async (t) => {
  const component = await readFile(componentWasm);
  const core = await readFile(coreWasm);
  t.same([...component.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], "\\0asm magic");
  t.same([...component.subarray(4, 8)], [0x0d, 0x00, 0x01, 0x00], "component encoding: version 0x0d, layer 1");
  t.same([...core.subarray(4, 8)], [0x01, 0x00, 0x00, 0x00], "the raw core is a layer-0 module");
  t.notOk(WebAssembly.validate(component), "not loadable as a core module");
});

/** The payload of the first section `id` of a module or component. */
function section(bytes: Uint8Array, id: number): Buffer {
  const leb = (at: number): [number, number] => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return [value, at];
    }
  };
  for (let at = 8; at < bytes.length;) {
    const [size, start] = leb(at + 1);
    if (bytes[at] === id) return Buffer.from(bytes.subarray(start, start + size));
    at = start + size;
  }
  throw new Error(`no section ${id}`);
}

t.test("the component wraps the current core build (else: npm run build:component)", async (t) => {
  const embedded = section(await readFile(componentWasm), 1); // the component's core module
  const code = (module: Uint8Array): Buffer => section(module, 10);
  t.ok(code(embedded).equals(code(await readFile(coreWasm))), "the same code as build/scheduler.wasm");
});

t.test("the component exports the raw module's operations, drain() instead of drainPost", async (t) => {
  const component = await componentScheduler();
  const raw = WebAssembly.Module.exports(new WebAssembly.Module(await readFile(coreWasm)))
    .map((e) => e.name)
    .filter((name) => !["memory", "cabi_realloc", "drainPost"].includes(name));
  t.same(Object.keys(component).sort(), raw.sort());
});

for (const [preset, seed] of [
  ["chromium", [0x5eed, 0]],
  ["kiosk", [0xdecaf, 0xc0ffee]],
] as const) {
  t.test(`${preset}: the component decides exactly what the raw module decides`, async (t) => {
    const raw = new Traced(await rawScheduler());
    const component = new Traced(await componentScheduler());
    const rawHost = scenario(raw, preset, seed);
    const componentHost = scenario(component, preset, seed);

    t.same(componentHost.counts, rawHost.counts, "the same number of each decision");
    t.equal(component.trace.length, raw.trace.length, "the same number of steps");
    const first = firstDifference(component.trace, raw.trace);
    t.equal(first, -1, "every return value, drained list and next wake-up is the same", {
      step: first,
      component: component.trace[first],
      raw: raw.trace[first],
    });

    // The scenario is not vacuous: it reached every kind of decision and every path.
    t.ok(raw.trace.length > 500, `a long run (${raw.trace.length} steps)`);
    t.ok(rawHost.counts.fire > 50, `many fires (${rawHost.counts.fire})`);
    t.ok(rawHost.counts["timed-out"] > 0, `time-outs (${rawHost.counts["timed-out"]})`);
    t.ok(rawHost.counts.dropped > 0, `drops (${rawHost.counts.dropped})`);
    const results = (name: string): unknown[] => raw.trace.filter((step) => step[0] === name).map((step) => step[2]);
    t.ok(results("complete").includes(5), "a completion removed its registration");
    t.ok(results("reregister").includes(3), "a re-registration while firing");
    t.ok(
      raw.trace.some((step) => step[3] === "polled" && (step[4] as unknown[]).length > 0),
      "decisions taken with poll()",
    );
    const domains = new Set(raw.trace.flatMap((step) => (step[3] === "polled" ? [] : ((step[4] as Output[] | undefined) ?? []))).map((out) => out.domain));
    t.same([...domains].sort(), [0, 1, 2], "decisions of every domain, each naming its own");
  });
}

t.test("kiosk: the seed steers the decisions (jitter and spread are exercised)", async (t) => {
  const one = new Traced(await rawScheduler());
  const other = new Traced(await rawScheduler());
  scenario(one, "kiosk", [0xdecaf, 0xc0ffee]);
  scenario(other, "kiosk", [1, 2]);
  t.not(firstDifference(other.trace, one.trace), -1, "another seed, other decisions");
});

t.test("a refused input returns the same negative code from both, and changes nothing", async (t) => {
  const raw = new Traced(await rawScheduler());
  const component = new Traced(await componentScheduler());
  const rawResults = badInputs(raw);
  const componentResults = badInputs(component);
  t.same(componentResults, rawResults, "the same codes");
  for (const { call, expected, got } of rawResults) t.equal(got, expected, call);
  const first = firstDifference(component.trace, raw.trace);
  t.equal(first, -1, "the same record, states included", { component: component.trace[first], raw: raw.trace[first] });
});
