// The browser scenarios where the polyfill once differed from Chromium's native API (issue
// #11): what a working native API leaves visible, a worker that is not active yet, an
// unregistered service worker registration, the order of register()'s resolution and the
// event, a link that drops during every event, and a worker alone. Each runs against Chromium
// native where native can show it.

import { environment, inPage } from "./environment.js";
import { quiet, untilTags, type Scenario } from "./scenario.js";

const nativeUntouched: Scenario = {
  name: "a working native API: syncward installs nothing, and the worker's register() is the browser's even beside a window without page.js",
  // Only Chromium has a working native API.
  modes: ["chromium-native"],
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    const surface = () => {
      const native = (f: unknown) => typeof f === "function" && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(f));
      const getter = (name: string) => Object.getOwnPropertyDescriptor(ServiceWorkerRegistration.prototype, name)?.get;
      const global = globalThis as Record<string, unknown>;
      return {
        sync: native(getter("sync")),
        periodicSync: native(getter("periodicSync")),
        SyncManager: native(global.SyncManager),
        PeriodicSyncManager: native(global.PeriodicSyncManager),
      };
    };
    const allNative = { sync: true, periodicSync: true, SyncManager: true, PeriodicSyncManager: true };
    t.same(await app.eval(surface), allNative, "the page sees the engine's own getters and interfaces");
    t.same(await inPage.inWorker(server, app, surface), { ok: true, value: allNative }, "so does the worker");

    // The only window left is a page of the origin that does not load page.js.
    await app.goto(new URL("/syncward-config.js", server.url).href);
    const registered = await inPage.inWorker(server, app, async () => {
      const started = performance.now();
      await (self as unknown as { registration: { sync: { register(tag: string): Promise<void> } } }).registration.sync.register("test-native-worker");
      return performance.now() - started;
    });
    t.equal(registered.ok, true, `the worker's register() resolves (${JSON.stringify(registered)})`);
    t.ok(registered.ok && registered.value < 2000, "at once: no window is asked first");
    await server.until("its event", () => server.syncs("test-native-worker").length > 0);
  },
};

const periodicUnregisterAlone: Scenario = {
  name: "periodicSync.unregister() from a worker with no window resolves, and the tag stays gone",
  async run(t, mode) {
    const env = await environment(t, mode, { policy: { periodicMinInterval: 3_600_000 } });
    const { app, server } = env;
    type Periodic = { periodicSync: { register(tag: string, options?: { minInterval?: number }): Promise<void>; getTags(): Promise<string[]> } };
    const registered = await app.eval(async () => {
      const { periodicSync } = (await navigator.serviceWorker.ready) as unknown as Periodic;
      return periodicSync.register("test-periodic-alone", { minInterval: 3_600_000 }).then(
        () => "ok",
        (e: DOMException) => e.name,
      );
    });
    // Chromium grants periodic sync to installed web apps only: its reference shows the
    // unregister() part alone.
    t.equal(registered, env.polyfill ? "ok" : "NotAllowedError", "the page registers (the native API refuses an uninstalled app)");
    const alone = await inPage.startInWorker(server, app, async () => {
      const global = self as unknown as {
        clients: { matchAll(options: object): Promise<unknown[]> };
        registration: Periodic & { periodicSync: { unregister(tag: string): Promise<void> } };
      };
      while ((await global.clients.matchAll({ type: "window", includeUncontrolled: true })).length > 0) await new Promise((r) => setTimeout(r, 50));
      await global.registration.periodicSync.unregister("test-periodic-alone");
      return global.registration.periodicSync.getTags();
    });
    await app.goto("about:blank");
    t.same(await alone(), { ok: true, value: [] }, "with no window, unregister() resolves and getTags() no longer lists the tag");
    await app.goto(server.url);
    const tags = await app.eval(async () => ((await navigator.serviceWorker.ready) as unknown as Periodic).periodicSync.getTags());
    t.same(tags, [], "a page opened afterwards does not bring it back");
  },
};

const swUnregistered: Scenario = {
  name: "unregistering the service worker registration removes its sync registrations at once",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    await env.offline();
    t.same(await inPage.register(app, "test-unregistered"), { ok: true, value: undefined }, "registered offline");
    type WithSync = ServiceWorkerRegistration & { sync: { getTags(): Promise<string[]> } };
    const fresh = await app.eval(async () => {
      const old = await navigator.serviceWorker.ready;
      if (!(await old.unregister())) throw new Error("unregister() said false");
      const registration = (await navigator.serviceWorker.register("/sw.js")) as WithSync;
      for (let i = 0; i < 400 && !registration.active; i++) await new Promise((r) => setTimeout(r, 25));
      return registration.sync.getTags();
    });
    t.same(fresh, [], "a new registration of the same scope inherits no tags");
    await env.online();
    await quiet();
    t.same(server.syncs("test-unregistered"), [], "neither the old worker nor the new one gets the old registration's event");
  },
};

const resolutionFirst: Scenario = {
  name: "the event follows register()'s resolution where it was called: a tab that does not lead, and the worker",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { server } = env;
    const { apps } = await env.twoInstances();
    let follower = 1;
    if (env.polyfill) {
      const leading = await server.until("a leader", async () => {
        const both = [await inPage.leading(apps[0]), await inPage.leading(apps[1])];
        return both.some(Boolean) && both;
      });
      follower = leading[0] ? 1 : 0;
    }
    const resolvedAt = await apps[follower]!.eval(async () => {
      const registration = (await navigator.serviceWorker.ready) as unknown as { sync: { register(tag: string): Promise<void> } };
      let at = 0;
      const registered = registration.sync.register("test-order").then(() => void (at = performance.timeOrigin + performance.now()));
      // The tab stays busy while the leader registers, and would fire, did it not wait for this tab.
      for (const start = performance.now(); performance.now() - start < 1000;);
      await registered;
      return at;
    });
    const [event] = await server.until("the event", () => server.syncs("test-order").length > 0 && server.syncs("test-order"));
    // The tab's and the worker's clocks may differ by a millisecond or two (Chromium runs them
    // in two processes); an event that did not wait would come about a second early.
    t.ok(event!.at > resolvedAt - 50, `the event came ${Math.round(event!.at - resolvedAt)} ms after register() resolved in the calling tab`);

    const seen = await inPage.inWorker(server, apps[follower]!, async () => {
      const global = self as unknown as EventTarget & { registration: { sync: { register(tag: string): Promise<void> } } };
      let resolved = false;
      const event = new Promise<boolean>((resolve) =>
        global.addEventListener("sync", (e) => {
          if ((e as Event & { tag: string }).tag === "test-order-worker") resolve(resolved);
        }),
      );
      await global.registration.sync.register("test-order-worker").then(() => void (resolved = true));
      return event;
    });
    t.same(seen, { ok: true, value: true }, "the worker's register() had resolved when its event came");
  },
};

const flappingLink: Scenario = {
  name: "a link that drops during every event: the free aborted attempts, then counted ones, and the last chance ends it",
  // Chromium counts every dispatched event and waits 5 and 15 minutes between attempts, so
  // its native run cannot reach the end in a test; the core's tests cover its preset.
  modes: ["wpe-polyfill", "webkitgtk-polyfill", "chromium-polyfill"],
  async run(t, mode) {
    const env = await environment(t, mode, { policy: { maxAbortedAttempts: 1, initialRetryDelay: 300, retryDelayFactor: 1 } });
    const { app, server } = env;
    const tag = "test-flap";
    server.verdict(tag, "hold");
    t.same(await inPage.register(app, tag), { ok: true, value: undefined }, "registered");
    for (let attempt = 1; attempt <= 4; attempt++) {
      await server.until(`event ${attempt} to be running`, () => server.held(tag) === 1);
      await env.offline();
      server.release(tag, "failure");
      server.verdict(tag, "hold");
      await server.until(`event ${attempt} to end`, () => server.answered.filter((a) => a.tag === tag).length === attempt);
      await env.online();
    }
    t.same(
      server.syncs(tag).map((e) => e.lastChance),
      [false, false, false, true],
      "one free aborted attempt, then three counted ones, the last of them the last chance",
    );
    await untilTags(env, "the registration to be dropped", (tags) => tags.length === 0);
    await quiet();
    t.equal(server.syncs(tag).length, 4, "aborted on its last chance, it does not run again");
  },
};

const installingAlone: Scenario = {
  name: "register() from a worker still installing, with no window: InvalidStateError, the active worker being checked first",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    // register() resolves once the job has its installing worker (WebKit drops a job whose
    // client went before that).
    const installing = await app.eval(async () => !!(await navigator.serviceWorker.register("/sw.js?install-probe", { scope: "/probe/" })).installing);
    t.ok(installing, "the probe worker is installing");
    await app.goto("about:blank");
    const probe = await server.until("the installing worker's register()", () => server.records.find((r) => r.kind === "install-register"), 60_000);
    t.same(
      probe.result,
      { ok: false, name: "InvalidStateError", message: "Failed to execute 'register' on 'SyncManager': Registration failed - no active Service Worker" },
      "InvalidStateError, not InvalidAccessError, in Chromium's words",
    );
  },
};

const periodicNotPermitted: Scenario = {
  name: "periodic sync without its permission: register() rejects NotAllowedError, getTags() and unregister() still answer",
  async run(t, mode) {
    // Chromium grants "periodic-background-sync" to installed web apps only, so the test page
    // is refused natively; the polyfill is told so by its config.
    const env = await environment(t, mode, { config: { permissions: { periodicBackgroundSync: "denied" } } });
    type Periodic = { periodicSync: { register(tag: string): Promise<void>; getTags(): Promise<string[]>; unregister(tag: string): Promise<void> } };
    const result = await env.app.eval(async () => {
      const { periodicSync } = (await navigator.serviceWorker.ready) as unknown as Periodic;
      const registered = await periodicSync.register("test-denied").then(
        () => ({ ok: true }),
        (e: DOMException) => ({ ok: false, name: e.name, message: e.message }),
      );
      return { registered, tags: await periodicSync.getTags(), unregistered: await periodicSync.unregister("test-denied").then(() => "resolved") };
    });
    t.same(
      result,
      { registered: { ok: false, name: "NotAllowedError", message: "Permission denied." }, tags: [], unregistered: "resolved" },
      "refused in Chromium's words",
    );
    t.same(await inPage.register(env.app, "test-one-shot"), { ok: true, value: undefined }, "one-shot sync keeps its own permission");
  },
};

export const parityScenarios: Scenario[] = [
  periodicNotPermitted,
  nativeUntouched,
  installingAlone,
  swUnregistered,
  resolutionFirst,
  flappingLink,
  periodicUnregisterAlone,
];
