// The browser scenarios of the other clients a registration has (issue #11, items 12 and
// 18): a frame nested in a page of another origin, where register() finds no top-level window
// of its origin, and dedicated and shared workers, where WebIDL exposes SyncManager and
// PeriodicSyncManager and WebKit (not Chromium) gives `navigator.serviceWorker`. Each runs
// against Chromium native, which shows what a working API does in the same place.

import { environment, inPage, type App, type ClientWorker, type Settled } from "./environment.js";
import type { Scenario } from "./scenario.js";

const NO_WINDOW = { ok: false, name: "InvalidAccessError", message: "Attempted to register a sync event without a window or registration tag too long." };

type Registration = ServiceWorkerRegistration & {
  sync: { register(tag: string): Promise<void>; getTags(): Promise<string[]> };
  periodicSync: {
    register(tag: string, options?: { minInterval?: number }): Promise<void>;
    getTags(): Promise<string[]>;
    unregister(tag: string): Promise<void>;
  };
};

/** register() of both kinds in `app` (a page or a frame), as settled results. */
const registerBoth = (app: App, tag: string) =>
  app.eval(async (tag) => {
    const registration = (await navigator.serviceWorker.ready) as Registration;
    const settle = (p: Promise<void>) =>
      p.then(
        () => ({ ok: true }),
        (e: DOMException) => ({ ok: false, name: e.name, message: e.message }),
      );
    return { sync: await settle(registration.sync.register(tag)), periodic: await settle(registration.periodicSync.register(tag)) };
  }, tag);

const nestedFrame: Scenario = {
  name: "register() from a frame: InvalidAccessError in another origin's page (no top-level window of its origin), fine in its own origin's",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { server } = env;
    const framed = await env.embedded("other");
    t.same(
      await registerBoth(framed, "test-framed"),
      { sync: NO_WINDOW, periodic: NO_WINDOW },
      "both kinds refused before permission is asked, in Chromium's words",
    );
    // Chromium refuses a frame of another site its storage (Web Locks, IndexedDB): the frame
    // leads itself, its Agent cannot start there, and its calls say so rather than wait.
    const tags = await framed.eval(async () =>
      ((await navigator.serviceWorker.ready) as Registration).sync.getTags().then(
        (value) => ({ ok: true, value }),
        (e: DOMException) => ({ ok: false, name: e.name, message: e.message }),
      ),
    );
    t.same(
      tags,
      mode === "chromium-polyfill" ? { ok: false, name: "UnknownError", message: "Background Sync is disabled." } : { ok: true, value: [] },
      'getTags() answers: [] (Chromium forced, where syncward\'s Agent has no storage: "Background Sync is disabled.")',
    );
    // WebKit gives a dedicated worker of that frame navigator.serviceWorker: it is no window
    // either, and its register() is refused the same way.
    const fromWorker = await inPage.inClientWorker(framed, "dedicated worker", async () => {
      if (!("serviceWorker" in navigator)) return "no navigator.serviceWorker";
      return ((await navigator.serviceWorker.ready) as Registration).sync.register("test-framed-worker").then(
        () => ({ ok: true }),
        (e: DOMException) => ({ ok: false, name: e.name, message: e.message }),
      );
    });
    t.same(fromWorker, { ok: true, value: mode.startsWith("chromium") ? "no navigator.serviceWorker" : NO_WINDOW }, "and so is its dedicated worker's");
    const fromServiceWorker = await inPage.inWorker(server, framed, () =>
      (self as unknown as { registration: Registration }).registration.sync.register("test-framed-sw").then(
        () => ({ ok: true }),
        (e: DOMException) => ({ ok: false, name: e.name, message: e.message }),
      ),
    );
    t.same(fromServiceWorker, { ok: true, value: NO_WINDOW }, "and so is its service worker's, whose only window client is the frame");

    const sameOrigin = await env.embedded("same");
    const registered = await registerBoth(sameOrigin, "test-framed");
    t.same(registered.sync, { ok: true }, "in a page of its own origin (without syncward) the frame registers: that page is a top-level window");
    // Chromium grants periodic sync to installed web apps only.
    t.same(
      registered.periodic,
      env.polyfill ? { ok: true } : { ok: false, name: "NotAllowedError", message: "Permission denied." },
      "periodic sync gets past the window check to the permission",
    );
    await server.until("its event", () => server.syncs("test-framed").length > 0);
    t.equal(server.syncs("test-framed-worker").length + server.syncs("test-framed-sw").length, 0, "the refused registrations never fire");
  },
};

/** What a worker sees of the API, and what register() and friends do there. */
async function inWorkerOfKind(kind: ClientWorker): Promise<unknown> {
  const global = globalThis as Record<string, unknown>;
  const exposed = {
    SyncManager: typeof global.SyncManager,
    PeriodicSyncManager: typeof global.PeriodicSyncManager,
    SyncEvent: typeof global.SyncEvent,
    PeriodicSyncEvent: typeof global.PeriodicSyncEvent,
    serviceWorker: "serviceWorker" in navigator,
  };
  if (!exposed.serviceWorker) return { exposed };
  const registration = (await navigator.serviceWorker.ready) as Registration;
  const tag = `test-${kind.split(" ")[0]}`;
  let resolvedAt = 0;
  await registration.sync.register(tag).then(() => void (resolvedAt = performance.timeOrigin + performance.now()));
  const settle = (p: Promise<unknown>) =>
    p.then(
      (value) => ({ ok: true, value }),
      (e: DOMException) => ({ ok: false, name: e.name, message: e.message }),
    );
  return {
    exposed,
    resolvedAt,
    sameObject: registration.sync === registration.sync,
    isSyncManager: registration.sync instanceof (global.SyncManager as () => void),
    string: String(registration.periodicSync),
    tags: await registration.sync.getTags(),
    tooLong: await settle(registration.sync.register("x".repeat(10241))),
    periodic: await settle(registration.periodicSync.register(`${tag}-periodic`, { minInterval: 3_600_000 })),
    periodicTags: await registration.periodicSync.getTags(),
    unregistered: await settle(registration.periodicSync.unregister(`${tag}-periodic`).then(() => registration.periodicSync.getTags())),
  };
}

const clientWorker = (kind: ClientWorker): Scenario => ({
  name: `a ${kind}: SyncManager and PeriodicSyncManager exposed, and where it has navigator.serviceWorker (WebKit) register() works as in a page`,
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    const tag = `test-${kind.split(" ")[0]}`;
    // Held, so the tag is still listed while its event runs.
    server.verdict(tag, "hold");
    const result = (await inPage.inClientWorker(app, kind, inWorkerOfKind, kind)) as Settled<Record<string, unknown>>;
    if (!result.ok) throw new Error(`the ${kind} failed: ${result.name}: ${result.message}`);
    const seen = result.value;
    const webkit = !mode.startsWith("chromium");
    t.same(
      seen.exposed,
      { SyncManager: "function", PeriodicSyncManager: "function", SyncEvent: "undefined", PeriodicSyncEvent: "undefined", serviceWorker: webkit },
      "the managers exposed, the events not ([Exposed=ServiceWorker]); navigator.serviceWorker only in WebKit, as Chromium leaves it out of workers",
    );
    if (!webkit) return;
    t.match(
      seen,
      {
        sameObject: true,
        isSyncManager: true,
        string: "[object PeriodicSyncManager]",
        tags: [tag],
        tooLong: NO_WINDOW,
        periodic: { ok: true },
        periodicTags: [`${tag}-periodic`],
        unregistered: { ok: true, value: [] },
      },
      "register(), getTags(), the tag cap and periodic sync as in a page",
    );
    const [event] = await server.until("its event", () => server.syncs(tag).length > 0 && server.syncs(tag));
    t.ok(
      event!.at > (seen.resolvedAt as number) - 50,
      `the event came ${Math.round(event!.at - (seen.resolvedAt as number))} ms after register() resolved in the worker`,
    );
    server.release(tag, "success");
    await server.until("the tag to go once its event succeeded", async () => (await inPage.getTags(app)).length === 0);

    // A page of the origin without page.js: no Agent runs, and the worker says so at once.
    await app.goto(new URL("/embed.html?src=about:blank", server.url).href);
    const alone = await inPage.inClientWorker(app, kind, async () => ((await navigator.serviceWorker.ready) as Registration).sync.register("test-no-agent"));
    t.same(
      alone,
      { ok: false, name: "UnknownError", message: "No window client of this origin runs syncward's page script, so no agent can take this call." },
      "with no tab running page.js, register() rejects instead of waiting",
    );
  },
});

export const clientScenarios: Scenario[] = [nestedFrame, clientWorker("dedicated worker"), clientWorker("shared worker")];
