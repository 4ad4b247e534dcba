// Real service worker scripts, in one thread per origin, driven by a real Agent on real timers:
// the seed example against a local HTTP server, failures and retries, lastChance,
// re-registration while firing, ordering, activation, unregistration, restored registrations,
// and that a worker's errors never reach the process. What a script finds in its global scope
// is service-worker-global.test.ts.
import t from "tap";
import { createServer, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { MemoryStore } from "../../agent/memory-store.js";
import { storeKey, type StoredRegistration } from "../../agent/store.js";
import { listen, sleep, until, world } from "./service-worker-world.js";

t.test("the seed example runs unmodified and POSTs to a real server", async (t) => {
  const received: { method: string; url: string; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", body });
      res.writeHead(204).end();
    });
  });
  const scope = await listen(t, server);
  const w = await world(t, { scope, clients: [{ id: "tab", url: scope }] });
  const sw = await w.load(`
    async function sendOutboxMessages() {
      const response = await fetch("/outbox", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: ["hello"] }),
      });
      if (!response.ok) throw new Error("server said " + response.status);
    }

    self.addEventListener("sync", (event) => {
      if (event.tag === "sync-messages") {
        event.waitUntil(sendOutboxMessages());
      }
    });
  `);
  t.equal(sw.scope, scope);
  await sw.registration.sync.register("sync-messages");
  await until(() => w.named("sync event completed").length === 1, "the event to complete");
  t.same(received, [{ method: "POST", url: "/outbox", body: '{"messages":["hello"]}' }], "the server got the outbox");
  t.same(w.agent.status(), [], "the registration is gone");
  t.same(await sw.registration.sync.getTags(), []);
  t.same(
    w.events.map((e) => e.eventName),
    ["Registered sync", "Dispatched sync event", "sync event completed"],
  );
  t.same(w.lines, [], "nothing to report");
});

t.test("a handler passes the server's Retry-After on by rejecting waitUntil with the response (or { retryAfter })", async (t) => {
  const arrivals: number[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.resume().on("end", () => {
      arrivals.push(Date.now());
      if (arrivals.length === 1) res.writeHead(503, { "retry-after": "1" }).end();
      else res.writeHead(204).end();
    });
  });
  const scope = await listen(t, server);
  // The back-off alone is 50 ms: only the hint can make the retry wait a second.
  const w = await world(t, { scope, clients: [{ id: "tab", url: scope }] });
  const sw = await w.load(`
    self.addEventListener("sync", (event) => {
      if (event.tag === "post") {
        event.waitUntil(fetch("/m", { method: "POST", body: "x" }).then((response) => { if (!response.ok) throw response; }));
      } else {
        event.waitUntil(Promise.reject({ retryAfter: 0.5 }));
      }
    });
  `);
  await sw.registration.sync.register("post");
  await until(() => w.named("sync event completed", "post").length === 1, "the retry to succeed", 5000);
  t.equal(arrivals.length, 2, "one 503, one success");
  t.ok(arrivals[1]! - arrivals[0]! >= 1000, `the retry came ${arrivals[1]! - arrivals[0]!} ms after the 503 with Retry-After: 1`);
  t.match(w.named("sync event failed", "post")[0]?.eventMetadata, { "Failure Reason": "waitUntil rejected" });
  const failedAt = Date.now();
  await sw.registration.sync.register("object");
  await until(() => w.named("Dispatched sync event", "object").length === 2, "the second attempt", 5000);
  t.ok(Date.now() - failedAt >= 500, "{ retryAfter: 0.5 } made it wait half a second");
});

t.test("a throwing listener, a rejected waitUntil and a never-settling one fail and are retried; lastChance on the last attempt", async (t) => {
  const w = await world(t, { clients: [{ id: "tab", url: "http://localhost:8080/" }] });
  const sw = await w.load(`
    self.attempts = { throws: [], rejects: [], hangs: [], ok: [] };
    self.addEventListener("sync", (event) => {
      self.attempts[event.tag].push(event.lastChance);
      if (event.tag === "throws") throw new Error("boom");
      if (event.tag === "rejects") event.waitUntil(Promise.reject(new Error("nope")));
      if (event.tag === "hangs") event.waitUntil(new Promise(() => {}));
    });
  `);
  for (const tag of ["throws", "rejects", "hangs"]) await sw.registration.sync.register(tag);
  await until(() => w.named("Sync completed").length === 3, "three registrations to run out of attempts");
  t.same(
    await sw.evaluate("self.attempts"),
    {
      throws: [false, false, true],
      rejects: [false, false, true],
      hangs: [false, false, true],
      ok: [],
    },
    "three attempts each, lastChance exactly on the third",
  );
  const reasons = (tag: string) => w.named("sync event failed", tag).map((e) => e.eventMetadata["Failure Reason"]);
  t.same(reasons("throws"), ["failed", "failed", "failed"]);
  t.same(reasons("rejects"), ["waitUntil rejected", "waitUntil rejected", "waitUntil rejected"]);
  t.same(reasons("hangs"), ["timeout", "timeout", "timeout"], "the time limit ends a never-settling waitUntil");
  t.same(
    w.named("Dispatched sync event", "hangs").map((e) => e.eventMetadata["Last Chance"]),
    ["No", "No", "Yes"],
  );
  for (const e of w.named("Sync completed")) t.equal(e.eventMetadata.Status, "attempts exhausted");
  t.same(w.agent.status(), []);
  t.equal(w.lines.filter((l) => l.includes("uncaught error in a sync listener") && l.includes("boom")).length, 3, "the listener error is logged");
  t.equal(w.lines.filter((l) => l.includes("waitUntil rejected") && l.includes("nope")).length, 3, "so is the rejection");

  // The process survived the throws, and the next event works.
  await sw.registration.sync.register("ok");
  await until(() => w.named("sync event completed", "ok").length === 1, "the next event");
  t.same(await sw.evaluate("self.attempts.ok"), [false]);
});

t.test("no error of a worker reaches the process", async (t) => {
  const w = await world(t, { clients: [{ id: "tab", url: "http://localhost:8080/" }] });
  const sw = await w.load(`
    self.count = 0;
    self.addEventListener("sync", (event) => {
      self.count++;
      if (event.tag === "reject-then-throw") {
        event.waitUntil(Promise.reject(new Error("rejected")));
        throw new Error("thrown");
      }
      if (event.tag === "timer") setTimeout(() => { throw new Error("in a timer"); }, 0);
      if (event.tag === "microtask") queueMicrotask(() => { throw new Error("in a microtask"); });
      if (event.tag === "own-event") self.dispatchEvent(new Event("custom"));
    });
    self.addEventListener("sync", async () => { throw new Error("async listener"); });
    self.addEventListener("custom", () => { throw new Error("in a custom listener"); });
  `);
  await sw.registration.sync.register("reject-then-throw");
  await until(() => w.named("Sync completed").length === 1, "reject-then-throw to run out");
  t.same(
    w.named("sync event failed").map((e) => e.eventMetadata["Failure Reason"]),
    ["failed", "failed", "failed"],
  );
  for (const tag of ["timer", "microtask", "own-event"]) {
    await sw.registration.sync.register(tag);
    await until(() => w.named("sync event completed", tag).length === 1, tag);
  }
  // Had anything escaped, tap would have caught it as an uncaught exception or an unhandled
  // rejection and failed this test.
  await sleep(20);
  for (const what of ["in a timer", "in a microtask", "in a custom listener", "async listener"]) {
    t.ok(
      w.lines.some((l) => l.includes(what)),
      `logged: ${what}`,
    );
  }
  t.ok(
    w.lines.some((l) => l.includes("unhandled rejection in a sync listener")),
    "an async listener's rejection is reported, not counted",
  );
  t.equal(await sw.evaluate("self.count"), 6);
});

t.test("re-registration while firing gives exactly one more event, after the current one", async (t) => {
  const w = await world(t, { clients: [{ id: "tab", url: "http://localhost:8080/" }] });
  const sw = await w.load(`
    self.order = [];
    let n = 0;
    self.addEventListener("sync", (event) => {
      const i = ++n;
      self.order.push("start " + i);
      event.waitUntil((async () => {
        if (i === 1) await self.registration.sync.register(event.tag);
        await new Promise((r) => setTimeout(r, 30));
        self.order.push("end " + i);
      })());
    });
  `);
  await sw.registration.sync.register("again");
  await until(() => w.named("sync event completed").length === 2, "two events");
  await sleep(150);
  t.same(await sw.evaluate("self.order"), ["start 1", "end 1", "start 2", "end 2"]);
  t.equal(w.named("Sync event reregistered").length, 1);
  t.equal(w.named("Dispatched sync event").length, 2);
  t.same(w.agent.status(), []);
});

t.test("the sync event follows the resolution of register()", async (t) => {
  const w = await world(t, { clients: [{ id: "tab", url: "http://localhost:8080/" }] });
  const sw = await w.load(`
    self.order = [];
    self.addEventListener("sync", (event) => { self.order.push("sync " + event.tag); });
    self.registerNow = (tag) => self.registration.sync.register(tag).then(() => { self.order.push("resolved " + tag); });
  `);
  await sw.evaluate(`registerNow("a")`);
  await until(() => w.named("sync event completed").length === 1, "the event");
  t.same(await sw.evaluate("self.order"), ["resolved a", "sync a"]);
});

t.test("register() before activation rejects with InvalidStateError; a failed install registers nothing", async (t) => {
  const w = await world(t, { clients: [{ id: "tab", url: "http://localhost:8080/" }] });
  const outcome = `(p) => p.then(() => "resolved", (e) => e.name)`;
  const sw = await w.load(`
    self.lifecycle = [];
    self.top = (${outcome})(self.registration.sync.register("top"));
    self.addEventListener("install", (event) => {
      self.lifecycle.push("install");
      event.waitUntil((${outcome})(self.registration.sync.register("install")).then((r) => { self.install = r; }));
    });
    self.oninstall = () => self.lifecycle.push("oninstall");
    self.addEventListener("activate", (event) => {
      self.lifecycle.push("activate");
      self.activate = (${outcome})(self.registration.sync.register("activate"));
      event.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => self.lifecycle.push("activated")));
    });
  `);
  t.equal(await sw.evaluate("self.top"), "InvalidStateError", "at the top level");
  t.equal(await sw.evaluate("self.install"), "InvalidStateError", "in the install event");
  t.equal(await sw.evaluate("self.activate"), "resolved", "in the activate event the worker is already the active one");
  t.same(await sw.evaluate("self.lifecycle"), ["install", "oninstall", "activate", "activated"], "install and activate were awaited");
  await sw.registration.sync.register("after");
  t.ok((await sw.registration.sync.getTags()).includes("after"));

  const scope = "http://localhost:8080/broken/";
  await t.rejects(w.load(`self.addEventListener("install", (e) => e.waitUntil(Promise.reject(new Error("no cache"))));`, scope), /install event failed/);
  await t.rejects(w.load(`throw new SyntaxError("top level");`, scope), { name: "SyntaxError" });
  const fixed = await w.load(`self.addEventListener("activate", () => { throw new Error("activate throws"); });`, scope);
  await fixed.registration.sync.register("fine");
  t.ok(
    w.lines.some((l) => l.includes("activate throws")),
    "a failed activate is only logged",
  );
  t.equal(
    await w.host.load({ script: join(w.dir, "nope.js"), scope: "http://localhost:8080/nope/" }).then(
      () => "loaded",
      (e: NodeJS.ErrnoException) => e.code,
    ),
    "ENOENT",
  );
});

t.test("unregister stops the worker and drops its registrations", async (t) => {
  const w = await world(t, { clients: [{ id: "tab", url: "http://localhost:8080/" }], policy: { initialRetryDelay: 10_000 } });
  const sw = await w.load(`
    self.ticks = 0;
    setInterval(() => self.ticks++, 5);
    self.addEventListener("sync", (event) => event.waitUntil(Promise.reject(new Error("offline"))));
  `);
  await sw.registration.sync.register("waits");
  await until(() => w.named("sync event failed").length === 1, "the first failure");
  t.same(
    w.agent.status().map((s) => s.state),
    ["waiting"],
  );
  t.equal(await w.host.unregister("http://localhost:8080"), true, "the scope is normalized");
  t.same(w.agent.status(), []);
  await t.rejects(sw.evaluate("self.ticks"), /stopped for good/, "its thread and its timers are gone");
  t.equal(await w.host.unregister("http://localhost:8080/"), false);
  await t.rejects(sw.registration.sync.register("x"), { name: "InvalidStateError" });
});

t.test("periodicsync reaches the worker as a PeriodicSyncEvent", async (t) => {
  const w = await world(t, {
    clients: [{ id: "tab", url: "http://localhost:8080/" }],
    policy: { periodicMinInterval: 50, periodicSnap: false, scopeMinGap: 0 },
  });
  const sw = await w.load(`
    self.seen = [];
    self.onperiodicsync = (event) => {
      self.seen.push([event.tag, event instanceof PeriodicSyncEvent]);
      event.waitUntil(Promise.resolve());
    };
  `);
  await sw.registration.periodicSync.register("feed", { minInterval: 50 });
  await until(() => w.named("periodicsync event completed").length >= 1, "a periodic event", 3000);
  t.same(await sw.evaluate("self.seen[0]"), ["feed", true]);
  await sw.registration.periodicSync.unregister("feed");
});

t.test("a stored registration comes back with its scope and fires once the worker is active", async (t) => {
  const scope = "http://localhost:8080/";
  const saved: StoredRegistration = {
    scope,
    tag: "left-over",
    kind: "one-shot",
    attempts: 1,
    maxAttempts: 3,
    delayUntil: 0,
    anchorOrExpiry: 0,
    minInterval: 0,
    unmeteredOnly: false,
    allowOnBattery: true,
  };
  // Starting the worker's thread may take longer than the usual 300 ms limit under the test's TypeScript loader.
  const w = await world(t, {
    scope,
    store: new MemoryStore(new Map([[storeKey(saved), saved]])),
    policy: { eventTimeout: 10_000, lastChanceEventTimeout: 10_000 },
  });
  const sw = await w.load(`
    self.log = [];
    self.addEventListener("install", (event) => event.waitUntil(new Promise((r) => setTimeout(r, 50)).then(() => { self.installedAt = Date.now(); self.log.push("installed"); })));
    self.addEventListener("activate", () => self.log.push("activated"));
    self.addEventListener("sync", (event) => self.log.push("sync " + event.tag));
  `);
  await until(() => w.named("sync event completed").length === 1, "the restored event");
  t.same(await sw.evaluate("self.log"), ["installed", "activated", "sync left-over"], "delivered after activation");
  const dispatched = w.named("Dispatched sync event")[0]?.timestamp ?? Infinity;
  t.ok(dispatched < ((await sw.evaluate("self.installedAt")) as number), "though dispatched while the worker was installing");
  t.same(w.agent.status(), []);
});
