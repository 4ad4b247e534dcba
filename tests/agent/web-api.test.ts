// The Web API as the spec and Chromium define it: errors in order with Chromium's messages,
// WebIDL conversions, coalescing, ordering, namespaces, getTags in every state.
import t from "tap";
import { harness, SCOPE } from "./harness.js";
import { settle } from "./manual-clock.js";
import { SyncManager } from "../../agent/web-api/sync-manager.js";
import { PeriodicSyncManager } from "../../agent/web-api/periodic-sync-manager.js";
import { SyncEvent, PeriodicSyncEvent } from "../../agent/web-api/sync-events.js";
import { ExtendableEvent } from "../../agent/web-api/extendable-event.js";

const rejects = async (p: Promise<unknown>, name: string, message?: string) => {
  try {
    await p;
  } catch (e) {
    const error = e as Error;
    return error.name === name && (message === undefined || error.message === message) ? "ok" : `${error.name}: ${error.message}`;
  }
  return "resolved";
};

t.test("register() errors in Chromium's order, with its messages", async (t) => {
  const h = await harness();
  h.sw.setActive(false);
  h.setWindows(0);
  t.equal(
    await rejects(
      h.sw.sync.register("a"),
      "InvalidStateError",
      "Failed to execute 'register' on 'SyncManager': Registration failed - no active Service Worker",
    ),
    "ok",
    "no active worker comes first, in Chromium's words",
  );
  h.sw.setActive(true);
  t.equal(
    await rejects(h.sw.sync.register("a"), "InvalidAccessError", "Attempted to register a sync event without a window or registration tag too long."),
    "ok",
    "then no window client",
  );
  h.setWindows(1);
  t.equal(await rejects(h.sw.sync.register("x".repeat(10241)), "InvalidAccessError"), "ok", "a tag over 10,240 characters");
  await h.sw.sync.register("x".repeat(10240));
  t.pass("10,240 characters is fine");
  t.equal(await rejects(h.sw.sync.register("é".repeat(5121)), "InvalidAccessError"), "ok", "5,121 characters of 2 UTF-8 bytes are over 10,240 bytes");
  await h.sw.sync.register("é".repeat(5120));
  await h.sw.sync.register("😀".repeat(2560));
  t.pass("5,120 two-byte characters and 2,560 four-byte ones (two UTF-16 units each) are 10,240 bytes: fine");
  t.equal(await rejects(h.sw.sync.register("\ud800".repeat(3414)), "InvalidAccessError"), "ok", "a lone surrogate counts as U+FFFD, 3 bytes");

  const denied = await harness({ syncPermitted: () => false });
  denied.setWindows(0);
  t.equal(
    await rejects(denied.sw.sync.register("a"), "InvalidAccessError"),
    "ok",
    "the window check before permission, as Chromium (the spec asks for permission first)",
  );
  denied.setWindows(1);
  t.equal(await rejects(denied.sw.sync.register("x".repeat(10241)), "InvalidAccessError"), "ok", "and the tag cap before permission");
  t.equal(await rejects(denied.sw.sync.register("a"), "NotAllowedError", "Permission denied."), "ok", "then permission");

  const broken = await harness();
  broken.store.failWith = new Error("ENOSPC");
  t.equal(await rejects(broken.sw.sync.register("a"), "UnknownError", "Background Sync is disabled."), "ok", "storage failure");
  t.same(await broken.sw.sync.getTags(), [], "and nothing half-registered stays");
  t.equal(await rejects(broken.sw.periodicSync.register("a"), "UnknownError", "Unknown error."), "ok", "periodic: Chromium's own words");
  t.match(broken.problems, [/ENOSPC/]);
  await settle();
  t.equal(broken.dispatcher.deliveries.length, 0, "no event for it");
});

t.test("WebIDL: lengths, conversions, no constructors", async (t) => {
  const h = await harness();
  t.equal(SyncManager.prototype.register.length, 1);
  t.equal(SyncManager.prototype.getTags.length, 0);
  t.equal(PeriodicSyncManager.prototype.register.length, 1);
  t.throws(() => new SyncManager(), TypeError);
  t.throws(() => new PeriodicSyncManager(), TypeError);
  t.equal(await rejects((h.sw.sync.register as () => Promise<void>)(), "TypeError"), "ok", "register() needs its argument");
  t.equal(await rejects(h.sw.sync.register(Symbol("s") as unknown as string), "TypeError"), "ok", "a Symbol is no DOMString");
  await h.sw.sync.register(42 as unknown as string);
  await h.sw.sync.register(undefined as unknown as string);
  t.same(await h.sw.sync.getTags(), ["42", "undefined"], "tags converted as DOMString");
  for (const bad of [-1, Number.NaN, Infinity, 2 ** 53, "x"]) {
    t.equal(await rejects(h.sw.periodicSync.register("p", { minInterval: bad as number }), "TypeError"), "ok", `minInterval ${String(bad)}`);
  }
  t.equal(await rejects(h.sw.periodicSync.register("p", 5 as never), "TypeError"), "ok", "options must be a dictionary");
  await h.sw.periodicSync.register("p", { minInterval: 1000.9 });
  t.same(await h.sw.periodicSync.getTags(), ["p"]);
});

t.test("SyncEvent and PeriodicSyncEvent", async (t) => {
  t.throws(() => new SyncEvent("sync", {} as never), TypeError, "tag is required");
  t.throws(() => new SyncEvent("sync", undefined as never), TypeError);
  const e = new SyncEvent("sync", { tag: "t" });
  t.equal(e.lastChance, false, "lastChance defaults to false");
  t.equal(e.tag, "t");
  t.ok(e instanceof ExtendableEvent && e instanceof Event);
  t.equal(new SyncEvent("sync", { tag: "t", lastChance: true }).lastChance, true);
  t.equal(new PeriodicSyncEvent("periodicsync", { tag: 7 as unknown as string }).tag, "7");
  t.throws(() => new PeriodicSyncEvent("periodicsync", {} as never), TypeError);
  t.throws(() => e.waitUntil(Promise.resolve()), { name: "InvalidStateError" }, "waitUntil outside dispatch");
});

t.test("the event follows the resolution of register()", async (t) => {
  const h = await harness();
  const order: string[] = [];
  const p = h.sw.sync.register("sync-messages").then(() => order.push("resolved"));
  const before = h.dispatcher.deliveries.length;
  await p;
  t.equal(h.dispatcher.deliveries.length, before, "not dispatched before the promise resolved");
  await h.clock.advance(0);
  order.push(`dispatched ${h.dispatcher.deliveries.length}`);
  t.same(order, ["resolved", "dispatched 1"]);
  t.match(h.dispatcher.last(), { type: "sync", tag: "sync-messages", lastChance: false, scope: SCOPE });
});

t.test("a caller in another realm confirms its resolution: the event waits for it", async (t) => {
  const h = await harness();
  const remote = h.agent.addServiceWorker("http://localhost:8080/remote/", { hasWindowClient: () => true, confirmsResolution: true });
  await remote.sync.register("from-a-tab");
  await h.clock.advance(60_000);
  t.equal(h.dispatcher.deliveries.length, 0, "resolved here, but not yet where it was called: no event");
  remote.resolved("one-shot", "unknown-tag");
  await h.clock.advance(0);
  t.equal(h.dispatcher.deliveries.length, 0, "a confirmation for another tag changes nothing");
  remote.resolved("one-shot", "from-a-tab");
  await h.clock.advance(0);
  t.match(h.dispatcher.last(), { type: "sync", tag: "from-a-tab" }, "confirmed: it fires");
});

t.test("duplicate tags coalesce; one-shot and periodic are separate namespaces", async (t) => {
  const h = await harness();
  h.agent.setConditions({ online: false });
  for (let i = 0; i < 5; i++) await h.sw.sync.register("outbox");
  await h.sw.periodicSync.register("outbox", { minInterval: 1000 });
  await h.clock.advance(0);
  t.equal(h.dispatcher.deliveries.length, 0, "offline: nothing");
  t.same(await h.sw.sync.getTags(), ["outbox"]);
  t.same(await h.sw.periodicSync.getTags(), ["outbox"]);
  h.agent.setConditions({ online: true });
  await h.clock.advance(0);
  t.same(
    h.dispatcher.deliveries.map((d) => d.type),
    ["sync"],
    "five registrations, one event; the periodic one is not due",
  );
});

t.test("getTags lists a registration while pending, firing and waiting", async (t) => {
  const h = await harness();
  h.agent.setConditions({ online: false });
  await h.sw.sync.register("t");
  await h.clock.advance(0);
  t.same(await h.sw.sync.getTags(), ["t"], "pending");
  h.agent.setConditions({ online: true });
  await h.clock.advance(0);
  t.same(
    h.agent.status().map((s) => s.state),
    ["firing"],
  );
  t.same(await h.sw.sync.getTags(), ["t"], "firing");
  h.dispatcher.last().settle({ outcome: "failure" });
  await h.clock.advance(0);
  t.same(
    h.agent.status().map((s) => s.state),
    ["waiting"],
  );
  t.same(await h.sw.sync.getTags(), ["t"], "waiting");
  await h.clock.advance(5 * 60_000);
  h.dispatcher.last().settle({ outcome: "success" });
  await h.clock.advance(0);
  t.same(await h.sw.sync.getTags(), [], "gone after success");
});

t.test("periodic: register, re-register, unregister (absent tags resolve); no worker → [] (one-shot: the tags)", async (t) => {
  const h = await harness();
  await h.sw.periodicSync.register("news", { minInterval: 3_600_000 });
  await h.sw.periodicSync.register("news", { minInterval: 3_600_000 });
  await h.sw.periodicSync.unregister("non-existent");
  t.same(await h.sw.periodicSync.getTags(), ["news"]);
  await h.sw.periodicSync.unregister("news");
  t.same(await h.sw.periodicSync.getTags(), []);
  t.ok(h.names().includes("Registered periodicsync") && h.names().includes("Unregistered periodicsync"));
  h.sw.setActive(false);
  t.same(await h.sw.periodicSync.getTags(), [], "no active worker: []");
  h.sw.setActive(true);
  await h.sw.sync.register("kept");
  h.sw.setActive(false);
  t.same(await h.sw.sync.getTags(), ["kept"], "one-shot without an active worker: the tags, as the spec and Chromium list them");
  const denied = await harness({ periodicSyncPermitted: () => false });
  t.equal(await rejects(denied.sw.periodicSync.register("x"), "NotAllowedError"), "ok");
});

t.test("unregistering the service worker removes its registrations; a late outcome changes nothing", async (t) => {
  const h = await harness();
  await h.sw.sync.register("in-flight");
  await h.sw.sync.register("queued");
  await h.clock.advance(0);
  const inFlight = h.dispatcher.deliveries.find((d) => d.tag === "in-flight")!;
  await h.sw.unregister();
  t.equal(inFlight.signal.aborted, true, "the in-flight event is told to stop");
  inFlight.settle({ outcome: "failure" });
  await h.clock.advance(10 * 60_000);
  t.same(h.agent.status(), []);
  t.equal(h.store.snapshot.size, 0, "and the store forgets them");
  t.equal(await rejects(h.sw.sync.register("again"), "InvalidStateError"), "ok", "the registration is gone");
});

t.test("Chromium's retry timeline through the Agent, logged in BackgroundService words", async (t) => {
  const h = await harness();
  await h.sw.sync.register("sync-messages");
  await h.clock.advance(0);
  h.dispatcher.last().settle({ outcome: "failure" });
  await h.clock.advance(5 * 60_000 - 1);
  t.equal(h.dispatcher.deliveries.length, 1, "not before 5 min");
  await h.clock.advance(1);
  t.equal(h.dispatcher.deliveries.length, 2);
  h.dispatcher.last().settle({ outcome: "failure", reason: "waitUntil rejected" });
  await h.clock.advance(15 * 60_000);
  t.equal(h.dispatcher.last().lastChance, true, "third attempt is the last chance");
  h.dispatcher.last().settle({ outcome: "failure" });
  await h.clock.advance(0);
  t.same(await h.sw.sync.getTags(), []);
  t.same(h.names(), [
    "Registered sync",
    "Dispatched sync event",
    "sync event failed",
    "Dispatched sync event",
    "sync event failed",
    "Dispatched sync event",
    "sync event failed",
    "Sync completed",
  ]);
  const failed = h.events.filter((e) => e.eventName === "sync event failed");
  t.same(
    failed.map((e) => e.eventMetadata["Next Attempt Delay (ms)"]),
    ["300000", "900000", undefined],
  );
  t.equal(failed[1]!.eventMetadata["Failure Reason"], "waitUntil rejected");
  t.same(
    h.events.filter((e) => e.eventName === "Dispatched sync event").map((e) => e.eventMetadata["Last Chance"]),
    ["No", "No", "Yes"],
  );
  t.equal(h.events.at(-1)!.eventMetadata.Status, "attempts exhausted");
});

t.test("a registration made while firing fires once more after completion", async (t) => {
  const h = await harness();
  await h.sw.sync.register("t");
  await h.clock.advance(0);
  await h.sw.sync.register("t");
  h.dispatcher.last().settle({ outcome: "success" });
  await h.clock.advance(0);
  t.equal(h.dispatcher.deliveries.length, 2);
  t.ok(h.names().includes("Sync event reregistered"));
  h.dispatcher.last().settle({ outcome: "success" });
  await h.clock.advance(0);
  t.equal(h.dispatcher.deliveries.length, 2, "and only once");
});

t.test("connectivity lost during the event: the failure costs no attempt, within maxAbortedAttempts", async (t) => {
  const h = await harness({ policy: { maxAbortedAttempts: 1 } });
  await h.sw.sync.register("t");
  await h.clock.advance(0);
  h.agent.setConditions({ online: false });
  h.dispatcher.last().settle({ outcome: "failure" });
  await h.clock.advance(0);
  t.same(h.agent.status(), [{ scope: SCOPE, tag: "t", kind: "one-shot", state: "pending", attempts: 0, delayUntil: 0 }]);
  t.equal(h.events.at(-1)!.eventMetadata["Failure Reason"], "aborted");
  h.agent.setConditions({ online: true });
  await h.clock.advance(0);
  t.equal(h.dispatcher.deliveries.length, 2, "fires again when back online");
  h.agent.setConditions({ online: false });
  h.dispatcher.last().settle({ outcome: "failure" });
  await h.clock.advance(0);
  t.match(h.agent.status(), [{ state: "waiting", attempts: 1 }], "a second one, past the cap, counts");

  const chromium = await harness();
  await chromium.sw.sync.register("t");
  await chromium.clock.advance(0);
  chromium.agent.setConditions({ online: false });
  chromium.dispatcher.last().settle({ outcome: "failure" });
  await chromium.clock.advance(0);
  t.match(chromium.agent.status(), [{ state: "waiting", attempts: 1 }], "the chromium preset counts every dispatched event, as Chromium does");
});

t.test("no active worker to take the event: back to pending, nothing counted, held until a worker is active", async (t) => {
  const h = await harness({ policy: { maxAttempts: 1 } });
  await h.sw.sync.register("t");
  await h.clock.advance(0);
  t.equal(h.dispatcher.last().lastChance, true, "the one attempt is the last chance");
  h.dispatcher.last().settle({ outcome: "undelivered" });
  await h.clock.advance(60_000);
  t.same(h.agent.status(), [{ scope: SCOPE, tag: "t", kind: "one-shot", state: "pending", attempts: 0, delayUntil: 0 }], "pending, no attempt used");
  t.equal(h.dispatcher.deliveries.length, 1, "not dispatched again while no worker is active");
  h.sw.setActive(true);
  await h.clock.advance(0);
  t.equal(h.dispatcher.deliveries.length, 2, "dispatched again once a worker is");
  t.equal(h.dispatcher.last().lastChance, true, "still its last chance: the undelivered one did not count");
});

t.test("periodic: the minimum gap and the last event are the origin's, shared by its service worker registrations", async (t) => {
  const h = await harness({ policy: { periodicMinInterval: 1000, periodicSnap: false, scopeMinGap: 5000 } });
  await h.sw.periodicSync.register("a", { minInterval: 1000 });
  await h.clock.advance(1000);
  h.dispatcher.last().settle({ outcome: "success" });
  const sibling = h.agent.addServiceWorker(`${SCOPE}other/`, { hasWindowClient: () => true });
  await sibling.periodicSync.register("b", { minInterval: 1000 });
  await h.clock.advance(2000);
  const fired = (tag: string) => h.dispatcher.deliveries.filter((d) => d.tag === tag).length;
  t.equal(fired("b"), 0, "the other registration of the origin is held by the origin's gap");
  await h.clock.advance(3000);
  t.equal(fired("b"), 1, "until 5 s after the origin's last event");
  const elsewhere = h.agent.addServiceWorker("http://other.example/", { hasWindowClient: () => true });
  await elsewhere.periodicSync.register("c", { minInterval: 1000 });
  await h.clock.advance(1000);
  t.ok(
    h.dispatcher.deliveries.some((d) => d.tag === "c"),
    "another origin is not held by it",
  );
});

t.test("the event time limit fails the attempt and the late outcome is ignored", async (t) => {
  const h = await harness({ policy: { eventTimeout: 1000, lastChanceEventTimeout: 1000, initialRetryDelay: 5000 } });
  await h.sw.sync.register("slow");
  await h.clock.advance(0);
  const first = h.dispatcher.last();
  await h.clock.advance(1000);
  t.equal(first.signal.aborted, true);
  t.match(h.events.at(-1), { eventName: "sync event failed", eventMetadata: { "Failure Reason": "timeout", "Next Attempt Delay (ms)": "5000" } });
  first.settle({ outcome: "success" });
  await h.clock.advance(0);
  t.same(
    h.agent.status().map((s) => [s.state, s.attempts]),
    [["waiting", 1]],
    "the late success changed nothing",
  );
});

t.test("durability: register() resolves only after the commit; registrations survive a restart", async (t) => {
  const h = await harness();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const commit = h.store.commit.bind(h.store);
  h.store.commit = async (s) => {
    await gate;
    return commit(s);
  };
  let resolved = false;
  const p = h.sw.sync.register("durable").then(() => (resolved = true));
  await settle();
  t.equal(resolved, false, "still waiting for the store");
  release();
  await p;
  t.equal(h.store.snapshot.size, 1);
  h.agent.setConditions({ online: false });
  await h.agent.close();

  const again = await harness({ store: h.store, clock: h.clock });
  await again.clock.advance(0);
  t.same(
    again.agent.status().map((s) => s.tag),
    ["durable"],
    "restored when its scope is served again",
  );
  t.equal(again.dispatcher.deliveries.length, 1, "and it fires (online)");
});

t.test("no write when nothing changed", async (t) => {
  const h = await harness();
  h.agent.setConditions({ online: false });
  await h.sw.sync.register("a");
  const writes = h.store.writes;
  await h.sw.sync.register("a");
  h.agent.setConditions({ online: false });
  await h.clock.advance(60_000);
  t.equal(h.store.writes, writes);
});

t.test("detaching a scope keeps its registrations stored until it is served again", async (t) => {
  const h = await harness();
  h.agent.setConditions({ online: false });
  await h.sw.sync.register("queued");
  h.sw.detach();
  await h.clock.advance(0);
  t.same(h.agent.status(), []);
  t.same(
    [...h.store.snapshot.values()].map((r) => r.tag),
    ["queued"],
    "still stored",
  );
  t.same(h.agent.unservedScopes(), [SCOPE], "its scope waits to be served (a host can tell whether it still exists)");
  const again = h.agent.addServiceWorker(SCOPE, { hasWindowClient: () => true });
  t.same(await again.sync.getTags(), ["queued"], "back when the scope is served again");
  t.same(h.agent.unservedScopes(), [], "served again, it waits no more");
});
