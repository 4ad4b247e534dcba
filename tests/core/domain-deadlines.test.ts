// Per-domain deadlines of the real core: with several domains holding timers, each domain's
// nextWakeupOf() must be the earliest timer of its own registrations, follow them as they
// fire, complete, unregister and leave with their scope, and the global nextWakeup() must be
// the smallest of them. The expected values come from each registration's own deadline,
// tracked here from the contract (event time limit 3 min, back-off 5 min in `chromium`).
import t, { type Test } from "tap";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import type { Scheduler } from "../../wasm-core/binding/scheduler.js";
import type { DomainId, RegistrationId } from "../../wasm-core/binding/codes.js";

const MIN = 60_000;

/** Deadline of every registration this test knows of, by domain and id. */
class Expected {
  readonly timers = new Map<number, Map<number, number>>();

  set(domain: number, id: number, at: number): void {
    if (!this.timers.has(domain)) this.timers.set(domain, new Map());
    this.timers.get(domain)!.set(id, at);
  }

  clear(domain: number, id: number): void {
    this.timers.get(domain)?.delete(id);
  }

  of(domain: number): number {
    return Math.min(Infinity, ...(this.timers.get(domain)?.values() ?? []));
  }
}

function check(t: Test, s: Scheduler, expected: Expected, domains: DomainId[], when: string): void {
  const each = domains.map((d) => s.nextWakeupOf(d));
  t.same(
    each,
    domains.map((d) => expected.of(d)),
    `${when}: each domain's own earliest timer`,
  );
  t.equal(s.nextWakeup(), Math.min(...each), `${when}: the global wake-up is the smallest of them`);
}

t.test("each domain's deadline follows its own registrations; the global one is their minimum", async (t) => {
  const s = await createScheduler({ preset: "chromium" });
  const expected = new Expected();
  const domains = [0, 1, 2, 3].map(() => s.createDomain());
  const scopes = domains.map((d) => s.createScope(d));
  const extra = s.createScope(domains[2]!);
  for (const d of domains) s.setConditions(d, { online: true }, 0);
  check(t, s, expected, domains, "no timers");

  // Each domain fires registrations at different times: deadlines at now + 3 min.
  const ids: RegistrationId[][] = domains.map(() => []);
  for (const [k, d] of domains.entries()) {
    if (k === 3) continue; // domain 3 stays without timers
    for (let j = 0; j < 3; j++) {
      const now = 1000 * (10 * k + j + 1);
      const id = s.register(j === 2 && k === 2 ? extra : scopes[k]!, now);
      s.resolved(id, now);
      ids[k]!.push(id);
      expected.set(d, id, now + 3 * MIN);
    }
  }
  t.equal(s.drain().length, 9, "nine events fired");
  check(t, s, expected, domains, "after firing");

  // A failure moves the earliest of domain 0 back by the 5 min back-off.
  s.complete(ids[0]![0]!, "failure", 40_000);
  expected.set(0, ids[0]![0]!, 40_000 + 5 * MIN);
  check(t, s, expected, domains, "after a failure in domain 0");

  // A success frees domain 1's earliest; its next one takes over.
  s.complete(ids[1]![0]!, "success", 41_000);
  expected.clear(1, ids[1]![0]!);
  check(t, s, expected, domains, "after a success in domain 1");

  // Unregistering domain 0's now-earliest.
  s.unregister(ids[0]![1]!, 42_000);
  expected.clear(0, ids[0]![1]!);
  check(t, s, expected, domains, "after an unregister in domain 0");

  // Removing a scope takes its registrations' timers with it (domain 2 keeps the extra scope's).
  s.removeScope(scopes[2]!, 43_000);
  expected.clear(2, ids[2]![0]!);
  expected.clear(2, ids[2]![1]!);
  check(t, s, expected, domains, "after removing a scope of domain 2");

  // Time runs past every event deadline but domain 0's back-off: each event still running
  // times out (a failed attempt), its next try 5 min after the time-out is handled.
  const until = 3 * MIN + 25_000;
  s.handleTimeout(until);
  const timedOut = s
    .drain()
    .filter((d) => d.type === "timedOut")
    .map((d) => [d.domain, d.id]);
  t.same(
    timedOut,
    [
      [0, ids[0]![2]],
      [1, ids[1]![1]],
      [1, ids[1]![2]],
      [2, ids[2]![2]],
    ],
    "time-outs in (time, slot) order across domains, each naming its domain",
  );
  for (const [domain, id] of timedOut) expected.set(domain!, id!, until + 5 * MIN);
  check(t, s, expected, domains, "after the time-outs");
  t.equal(s.nextWakeupOf(0 as DomainId), 40_000 + 5 * MIN, "domain 0: its back-off, earlier than the others' retries");

  t.throws(() => s.nextWakeupOf(4 as DomainId), { code: "UNKNOWN_DOMAIN" }, "a domain never created");
  t.throws(() => s.nextWakeupOf(-1 as DomainId), { code: "UNKNOWN_DOMAIN" }, "a negative domain");
  t.equal(s.raw.domainWakeup(4), -3, "the raw export returns UNKNOWN_DOMAIN (-3)");
});
