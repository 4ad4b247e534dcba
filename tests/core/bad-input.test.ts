// Bad input is refused with an error code and changes nothing; the instance keeps working.
import t from "tap";
import { world } from "./world.js";
import type { DomainId, RegistrationId, ScopeId } from "../../wasm-core/binding/codes.js";

t.test("every input refuses bad arguments without changing anything", async (t) => {
  const { s, domain, scope, oneShot } = await world();
  const id = oneShot(100);
  const snapshot = () => JSON.stringify({ state: s.state(id), p: s.persisted(id), next: s.nextWakeup(), live: s.liveCount, out: s.raw.pendingOutputs() });
  const before = snapshot();
  const cases: [string, () => unknown, string][] = [
    ["NaN time", () => s.handleTimeout(Number.NaN), "BAD_TIME"],
    ["negative time", () => s.register(scope, -1), "BAD_TIME"],
    ["infinite time", () => s.setConditions(domain, { online: false }, Infinity), "BAD_TIME"],
    ["time past 2^52 ms", () => s.handleTimeout(2 ** 52 + 2), "BAD_TIME"],
    ["time going backwards", () => s.complete(id, "success", 99), "TIME_WENT_BACKWARDS"],
    ["unknown id", () => s.complete(12345 as RegistrationId, "success", 200), "UNKNOWN_ID"],
    ["negative id", () => s.resolved(-3 as RegistrationId, 200), "UNKNOWN_ID"],
    ["unknown scope", () => s.register(99 as ScopeId, 200), "UNKNOWN_SCOPE"],
    ["unknown domain", () => s.createScope(42 as DomainId), "UNKNOWN_DOMAIN"],
    ["bad periodic interval", () => s.register(scope, 200, { periodic: { minInterval: -1 } }), "BAD_ARGUMENT"],
    ["NaN periodic interval", () => s.register(scope, 200, { periodic: { minInterval: Number.NaN } }), "BAD_ARGUMENT"],
    ["bad retry-after", () => s.complete(id, "failure", 200, -5), "BAD_ARGUMENT"],
    ["bad scope gap", () => s.setScopeMinGap(scope, Number.NaN), "BAD_ARGUMENT"],
    ["completing a registration that is not firing", () => s.complete(oneShot2(), "success", 200), "WRONG_STATE"],
  ];
  function oneShot2() {
    const other = s.createScope(s.createDomain()); // offline domain: stays pending
    const x = s.register(other, 100);
    s.resolved(x, 100);
    return x;
  }
  for (const [name, call, code] of cases) t.throws(call, { code }, name);
  t.equal(s.persisted(id).attempts, 0);
  t.equal(JSON.parse(snapshot()).state, JSON.parse(before).state);
  t.equal(JSON.parse(snapshot()).next, JSON.parse(before).next);
  s.complete(id, "success", 100);
  t.equal(s.has(id), false, "still working after every refusal");
});

t.test("the raw module returns the codes directly for out-of-range integers", async (t) => {
  const { s, domain, scope } = await world();
  const raw = s.raw;
  t.equal(raw.setDomainConditions(domain, 8, 0), -6, "flags out of range");
  t.equal(raw.register(scope, 2, 0, 0, 0), -6, "kind out of range");
  t.equal(raw.register(scope, 0, 4, 0, 0), -6, "constraint flags out of range");
  const id = raw.register(scope, 0, 0, 0, 0);
  raw.resolved(id, 0);
  t.equal(raw.complete(id, 5, 0, 0), -6, "outcome out of range");
  t.equal(raw.setPolicy(99, 1), -9, "unknown policy field");
  t.equal(raw.usePreset(7), -9, "unknown preset");
  t.ok(Number.isNaN(raw.getPolicy(-1)));
  t.equal(raw.stateOf(id), 2, "and the registration is still firing");
});

t.test("ids are branded: a scope or a domain where a registration is meant does not compile", async (t) => {
  const { s, domain, scope } = await world();
  // Each line fails the typecheck (tsc, run by CI) if the brands stop telling the ids apart.
  // @ts-expect-error a ScopeId is no RegistrationId
  t.throws(() => s.resolved(scope, 0), { code: "UNKNOWN_ID" }, "scope 0 as a registration: nothing of that id");
  // @ts-expect-error a DomainId is no ScopeId
  t.doesNotThrow(() => s.register(domain, 0), "domain 0 taken for scope 0 at run time: exactly the mix-up the brand prevents");
  // @ts-expect-error a plain number is no DomainId
  t.throws(() => s.createScope(7), { code: "UNKNOWN_DOMAIN" });
});
