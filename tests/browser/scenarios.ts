// The browser scenarios, written once and run four ways (environment.ts). Chromium's native
// Background Sync is the reference: a scenario that passes there and fails on the polyfill
// is syncward's bug; one that fails there is a wrong test. Those of the cases where the
// polyfill once differed from Chromium are in parity-scenarios.ts; those of registrations
// outliving a page, a browser or a tab in lifetime-scenarios.ts.

import { BACKEND_STATUS_TOPIC, backendStatus, environment, inPage } from "./environment.js";
import { admissionScenario } from "./admission-scenario.js";
import { clientScenarios } from "./client-scenarios.js";
import { lifetimeScenarios } from "./lifetime-scenarios.js";
import { parityScenarios } from "./parity-scenarios.js";
import { quiet, untilTags, type Scenario } from "./scenario.js";

/** The demo app's globals (examples/browser/app.js and outbox.js). */
declare function addToOutbox(text: string): Promise<void>;
declare function syncMessagesLater(): Promise<void>;
declare function checkMessagesSync(): void;

const docsExamples: Scenario = {
  name: "the documentation's three examples, run as written, offline then online",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    const logs = () => app.eval(() => (globalThis as unknown as { logged: string[] }).logged);
    await app.eval(() => {
      const logged: string[] = [];
      (globalThis as unknown as { logged: string[] }).logged = logged;
      console.log = (...args: unknown[]) => void logged.push(args.join(" "));
    });
    await env.offline();
    await app.eval(() => addToOutbox("hello from the outbox").then(syncMessagesLater));
    t.same(await logs(), [], "register() resolved: the example logged no 'could not be registered'");
    await app.eval(() => checkMessagesSync());
    await server.until("the getTags() example to log", async () => (await logs()).includes("Messages sync already requested"));
    t.pass('the getTags() example found "sync-messages"');
    await quiet();
    t.same(server.syncs("sync-messages"), [], "no sync event while offline");
    t.same(server.state.outbox, [], "nothing sent while offline");

    await env.online();
    const [event] = await server.until("the sync event", () => server.syncs("sync-messages").length > 0 && server.syncs("sync-messages"));
    t.equal(event?.lastChance, false, "lastChance is false on the first attempt");
    t.equal(event?.extendable, true, "the event is an ExtendableEvent");
    await server.until("the outbox to reach the backend", () => server.state.outbox.length > 0);
    t.same(
      server.state.outbox.flat().map((m) => m.text),
      ["hello from the outbox"],
      "the worker's example listener sent the outbox",
    );
    t.ok(
      server.records.some((r) => r.kind === "onsync" && r.tag === "sync-messages"),
      "self.onsync ran too",
    );
    await untilTags(env, "getTags() to drop the tag after success", (tags) => !tags.includes("sync-messages"));
    await app.eval(() => checkMessagesSync());
    await quiet();
    t.equal((await logs()).filter((l) => l === "Messages sync already requested").length, 1, "the getTags() example finds nothing after the sync");
    t.equal(server.syncs("sync-messages").length, 1, "one event");
  },
};

const offlineOnline: Scenario = {
  name: "held while offline, fired once when online, again after a second outage",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    await env.offline();
    t.same(await inPage.register(app, "test-a"), { ok: true, value: undefined }, "register() resolves offline");
    t.same(await inPage.register(app, "test-b"), { ok: true, value: undefined });
    await quiet();
    t.same(
      server.records.filter((r) => r.kind === "sync"),
      [],
      "nothing fires while offline",
    );
    await env.online();
    await server.until("both events", () => server.syncs("test-a").length > 0 && server.syncs("test-b").length > 0);
    await untilTags(env, "both to complete", (tags) => tags.length === 0);

    await env.offline();
    await inPage.register(app, "test-a");
    await quiet();
    t.equal(server.syncs("test-a").length, 1, "the second registration waits for the second online");
    await env.online();
    await server.until("the second event", () => server.syncs("test-a").length === 2);
    await untilTags(env, "it to complete", (tags) => tags.length === 0);
    await quiet();
    t.equal(server.syncs("test-a").length, 2, "each registration fired once");
    t.equal(server.syncs("test-b").length, 1);
  },
};

const retries: Scenario = {
  name: "a failing handler is retried after the back-off, with lastChance on the last attempt",
  async run(t, mode) {
    // A short back-off for the polyfill (400 ms, then 800 ms); Chromium's native one is 5 and
    // 15 minutes and cannot be shortened from outside.
    const env = await environment(t, mode, { policy: { initialRetryDelay: 400, retryDelayFactor: 2 } });
    const { app, server } = env;
    server.verdict("test-retry", "failure");
    t.same(await inPage.register(app, "test-retry"), { ok: true, value: undefined });
    await server.until("the first attempt to fail", () => server.answered.some((a) => a.tag === "test-retry"));
    t.same(await inPage.getTags(app), ["test-retry"], "a failed attempt keeps the registration (waiting)");
    t.equal(server.syncs("test-retry")[0]?.lastChance, false, "the first attempt is not the last chance");

    if (!env.polyfill) {
      // The reference covers the first attempt, the registration surviving the failure, and
      // lastChance reaching the listener (through DevTools, the only way to make Chromium
      // dispatch one now).
      const devtools = await env.chromium!.serviceWorkerDevTools(env.app as never);
      const registrationId = await devtools.registrationId(server.url);
      await devtools.cdp.send("ServiceWorker.dispatchSyncEvent", { origin: server.origin, registrationId, tag: "test-retry", lastChance: true });
      const last = await server.until("the last-chance event", () => server.syncs("test-retry").find((e) => e.lastChance));
      t.equal(last.lastChance, true, "lastChance reaches the listener");
      return;
    }
    const attempts = await server.until("three attempts", () => server.syncs("test-retry").length >= 3 && server.syncs("test-retry"));
    t.same(
      attempts.map((a) => a.lastChance),
      [false, false, true],
      "lastChance only on the third and last attempt",
    );
    t.ok(attempts[1]!.at - attempts[0]!.at >= 400, `the second attempt waited out the first back-off (${attempts[1]!.at - attempts[0]!.at} ms ≥ 400)`);
    t.ok(attempts[2]!.at - attempts[1]!.at >= 800, `the third waited out the doubled back-off (${attempts[2]!.at - attempts[1]!.at} ms ≥ 800)`);
    await untilTags(env, "the registration to be dropped after the last attempt", (tags) => tags.length === 0);
    await quiet();
    t.equal(server.syncs("test-retry").length, 3, "no attempt after the last chance");
  },
};

const retryAfter: Scenario = {
  name: "a handler that rejects waitUntil with a 429 Response: the retry waits out its Retry-After, not the shorter back-off",
  // Chromium's native API has no such channel: it waits its own 5 minutes.
  modes: ["wpe-polyfill", "webkitgtk-polyfill", "chromium-polyfill"],
  async run(t, mode) {
    const env = await environment(t, mode, { policy: { initialRetryDelay: 400, retryDelayFactor: 2, jitter: "none" } });
    const { app, server } = env;
    server.verdict("test-retry-after", "overloaded");
    t.same(await inPage.register(app, "test-retry-after"), { ok: true, value: undefined });
    await server.until("the first attempt to be refused", () => server.answered.some((a) => a.tag === "test-retry-after" && a.status === 429));
    server.verdict("test-retry-after", "success");
    const [first, second] = await server.until("the retry", () => server.syncs("test-retry-after").length >= 2 && server.syncs("test-retry-after"));
    const waited = second!.at - first!.at;
    t.ok(waited >= 2000, `the retry waited out Retry-After: 2 (${Math.round(waited)} ms ≥ 2000; the back-off alone is 400)`);
    await untilTags(env, "the registration to go after the retry succeeded", (tags) => tags.length === 0);
  },
};

const coalescing: Scenario = {
  name: "the same tag registered many times fires once; registered while firing, once more",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    await env.offline();
    const results = await Promise.all([inPage.register(app, "test-same"), inPage.register(app, "test-same"), inPage.register(app, "test-same")]);
    t.ok(
      results.every((r) => r.ok),
      "every register() resolves",
    );
    t.same(await inPage.getTags(app), ["test-same"], "one registration");
    await env.online();
    await server.until("the event", () => server.syncs("test-same").length > 0);
    await untilTags(env, "it to complete", (tags) => tags.length === 0);
    await quiet();
    t.equal(server.syncs("test-same").length, 1, "three registrations, one event");

    server.verdict("test-again", "hold");
    await inPage.register(app, "test-again");
    await server.until("the event to be running", () => server.held("test-again") === 1);
    await inPage.register(app, "test-again");
    server.release("test-again", "success");
    await server.until("the second event", () => server.syncs("test-again").length === 2);
    await untilTags(env, "it to complete", (tags) => tags.length === 0);
    await quiet();
    t.equal(server.syncs("test-again").length, 2, "registered again while firing: exactly one more event");
  },
};

const tagStates: Scenario = {
  name: "getTags() in every state: pending, firing, waiting, and gone after success",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    t.same(await inPage.getTags(app), [], "none at first");
    await env.offline();
    await inPage.register(app, "test-states");
    t.same(await inPage.getTags(app), ["test-states"], "pending (offline)");
    server.verdict("test-states", "hold");
    await env.online();
    await server.until("the event to be running", () => server.held("test-states") === 1);
    t.same(await inPage.getTags(app), ["test-states"], "firing");
    server.release("test-states", "failure");
    await server.until("the failure to be answered", () => server.answered.some((a) => a.tag === "test-states"));
    if (env.polyfill) {
      const status = await server.until("the agent to see the failure", async () =>
        (await inPage.status(app)).registrations.find((r) => r.tag === "test-states" && r.state === "waiting"),
      );
      t.equal(status.attempts, 1, "one attempt used");
    }
    t.same(await inPage.getTags(app), ["test-states"], "waiting (back-off after a failure)");
    await inPage.register(app, "test-states-done");
    await server.until("the other tag's event", () => server.syncs("test-states-done").length > 0);
    const tags = await untilTags(env, "the succeeded tag to go", (tags) => !tags.includes("test-states-done"));
    t.same(tags, ["test-states"], "gone after success; the waiting one stays");
  },
};

const fromWorker: Scenario = {
  name: "register() from the worker: through a window, and InvalidAccessError with none",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    await inPage.tellWorker(app, { test: "register", tag: "test-from-worker" });
    const registered = await server.until("the worker's register()", () => server.records.find((r) => r.kind === "register"));
    t.same(registered.result, { ok: true }, "resolves with a window open");
    await server.until("its event", () => server.syncs("test-from-worker").length > 0);

    server.verdict("test-running", "hold");
    await inPage.register(app, "test-running");
    await server.until("an event to be running", () => server.held("test-running") === 1);
    await inPage.tellWorker(app, { test: "register-alone", tag: "test-alone" });
    await app.goto("about:blank");
    const alone = await server.until("the lone worker's register()", () => server.records.find((r) => r.kind === "register-alone"), 60_000);
    t.match(alone.result, { ok: false, name: "InvalidAccessError" }, "no window: InvalidAccessError");
    t.same(alone.tags, { ok: true, value: ["test-running"] }, "getTags() works without a window");
    server.release("test-running", "success");
    t.same(server.syncs("test-alone"), [], "the refused tag never fires");
  },
};

const mqttStatus: Scenario = {
  name: "MQTT over WebSocket: the backend's status topic holds events back and lets them go",
  // Native Background Sync knows nothing of MQTT.
  modes: ["wpe-polyfill", "webkitgtk-polyfill", "chromium-polyfill"],
  async run(t, mode) {
    const env = await environment(t, mode, { mqtt: true });
    const { app, server } = env;
    const status = await inPage.status(app);
    t.match(status.reason, /broker, backendStatus good/, `online needs the broker and the backend's status (${status.reason})`);
    await server.publishRetained(BACKEND_STATUS_TOPIC, backendStatus(false));
    await server.until("the agent to hear the backend is down", async () => !(await inPage.status(app)).online);
    t.match((await inPage.status(app)).reason, /backendStatus bad/, "offline because the backend says so");
    await inPage.register(app, "test-mqtt");
    await quiet();
    t.same(server.syncs("test-mqtt"), [], "held while the backend is down (the probe still answers)");
    await server.publishRetained(BACKEND_STATUS_TOPIC, backendStatus(true));
    await server.until("the event", () => server.syncs("test-mqtt").length > 0);
    await untilTags(env, "it to complete", (tags) => tags.length === 0);
    t.equal(server.syncs("test-mqtt").length, 1, "fired once");
  },
};

const periodic: Scenario = {
  name: "periodic sync: register, getTags, events at the interval, unregister",
  // Chromium grants "periodic-background-sync" to installed web apps only, so its native API
  // refuses this page (NotAllowedError): there is no reference run.
  modes: ["wpe-polyfill", "webkitgtk-polyfill", "chromium-polyfill"],
  async run(t, mode) {
    const env = await environment(t, mode, { policy: { periodicMinInterval: 400, scopeMinGap: 0, periodicSnap: false, wakeupGranularity: 0 } });
    const { app, server } = env;
    type Periodic = {
      periodicSync: {
        register(tag: string, options?: { minInterval?: number }): Promise<void>;
        getTags(): Promise<string[]>;
        unregister(tag: string): Promise<void>;
      };
    };
    const periodicSync = <T>(call: string, tag?: string) =>
      app.eval(
        async ({ call, tag }) => {
          const { periodicSync } = (await navigator.serviceWorker.ready) as unknown as Periodic;
          if (call === "register") return periodicSync.register(tag!, { minInterval: 400 });
          if (call === "unregister") return periodicSync.unregister(tag!);
          return periodicSync.getTags();
        },
        { call, tag },
      ) as Promise<T>;
    const registeredAt = Date.now();
    await periodicSync("register", "test-periodic");
    t.same(await periodicSync("getTags"), ["test-periodic"]);
    const events = () => server.records.filter((r) => r.kind === "periodicsync" && r.tag === "test-periodic");
    const [first, second] = await server.until("two periodic events", () => events().length >= 2 && events());
    t.ok(first!.at - registeredAt >= 400, `the first came after the interval (${Math.round(first!.at - registeredAt)} ms ≥ 400)`);
    t.ok(second!.at - first!.at >= 400, `the second an interval later (${Math.round(second!.at - first!.at)} ms ≥ 400)`);
    t.equal(first!.extendable, true, "a PeriodicSyncEvent is an ExtendableEvent");
    t.ok(
      server.records.some((r) => r.kind === "onperiodicsync"),
      "self.onperiodicsync ran too",
    );
    t.same(await periodicSync("getTags"), ["test-periodic"], "a periodic registration stays after its events");
    await periodicSync("unregister", "test-periodic");
    t.same(await periodicSync("getTags"), [], "unregister() removes it");
    const count = events().length;
    await quiet();
    t.ok(events().length <= count + 1, "no events after unregister (one may have been on its way)");
  },
};

export const scenarios: Scenario[] = [
  ...parityScenarios,
  ...clientScenarios,
  docsExamples,
  offlineOnline,
  retries,
  retryAfter,
  coalescing,
  tagStates,
  fromWorker,
  ...lifetimeScenarios,
  mqttStatus,
  admissionScenario,
  periodic,
];
