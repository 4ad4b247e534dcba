// One scenario's world in one of the four ways the browser scenarios run: WPE WebKit 2.38 and
// WebKitGTK 2.50 (the current WebKit) with the polyfill (the runtimes syncward is for),
// Chromium with the polyfill forced over its native API, and Chromium's native Background
// Sync (the reference: a scenario that fails there is a wrong test). Each scenario gets a
// fresh browser profile and its own server.

import type { Policy } from "../../wasm-core/binding/policy.js";
import type { AgentStatus } from "../../agent/browser/page-agent.js";
import type { BrowserPage } from "./harness/browser-page.js";
import { ChromiumSession, type ChromiumOptions } from "./harness/chromium-session.js";
import { SyncTestServer } from "./harness/sync-test-server.js";
import { WebKitSession } from "./harness/webkit-session.js";

export type Mode = "wpe-polyfill" | "webkitgtk-polyfill" | "chromium-polyfill" | "chromium-native";

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A running instance of the app: a tab, or in WPE a frame. */
export interface App {
  eval<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
}

/** The workers other than the service worker that the tests start from a page. */
export type ClientWorker = "dedicated worker" | "shared worker";

export type Settled<T = unknown> = { ok: true; value: T } | { ok: false; name: string; message: string };

/**
 * The polyfill's test policy: the chromium preset's 3 attempts and its lastChance rule, with a
 * back-off long enough that "waiting" lasts while a test looks at it.
 */
export const TEST_POLICY: Partial<Policy> = {
  maxAttempts: 3,
  initialRetryDelay: 60_000,
  retryDelayFactor: 3,
  eventTimeout: 20_000,
  lastChanceEventTimeout: 20_000,
};

export interface Environment {
  mode: Mode;
  /** Whether syncward serves the API (false: Chromium's own does). */
  polyfill: boolean;
  server: SyncTestServer;
  /** The app, loaded, its worker active. */
  app: BrowserPage;
  /**
   * Take the network away as the browser's Background Sync sees it; resolves once it does
   * (as seen from `via`, default the app).
   */
  offline(via?: App): Promise<void>;
  online(via?: App): Promise<void>;
  /** Load the app again in the same page. */
  reload(): Promise<void>;
  /**
   * The app in a frame of a page without syncward (tests/browser/fixtures/embed.html) of its
   * own origin ("same") or of another ("other": http://127.0.0.1 for http://localhost), loaded
   * in place of the app; resolves once the framed app is up.
   */
  embedded(top: "same" | "other"): Promise<App>;
  /** Two instances of the app sharing the origin (tabs; frames in WPE), and how to close one. */
  twoInstances(): Promise<{ apps: [App, App]; close(index: 0 | 1): Promise<void> }>;
  /** Chromium only. */
  chromium?: ChromiumSession;
}

export function pageConfig(mode: Mode, policy: Partial<Policy> = {}): Record<string, unknown> {
  return {
    mode: mode === "chromium-polyfill" ? "force" : "auto",
    // The outage in WPE is the backend's: /health answers 503. A short probe period keeps the
    // tests quick; the settle time is 0 so that "online" is the first good probe.
    probe: { url: "/health", intervalMs: 150, maxIntervalMs: 150, timeoutMs: 5000 },
    settleMs: 0,
    policy: { ...TEST_POLICY, ...policy },
  };
}

/** The app's register(), getTags() and syncward.status(), as a page calls them. */
export const inPage = {
  register: (app: App, tag: string) =>
    app.eval(async (tag) => {
      const registration = (await navigator.serviceWorker.ready) as unknown as { sync: { register(tag: string): Promise<void> } };
      return registration.sync.register(tag).then(
        () => ({ ok: true, value: undefined }),
        (e: DOMException) => ({ ok: false, name: e.name, message: e.message }),
      );
    }, tag) as Promise<Settled<undefined>>,
  getTags: (app: App) => app.eval(async () => ((await navigator.serviceWorker.ready) as unknown as { sync: { getTags(): Promise<string[]> } }).sync.getTags()),
  status: (app: App) => app.eval(() => (globalThis as unknown as { syncward: { status(): Promise<AgentStatus> } }).syncward.status()),
  leading: (app: App) => app.eval(() => (globalThis as unknown as { syncward: { leading: boolean } }).syncward.leading),
  /**
   * Start `fn(arg)` in the app's active worker (`fn` self-contained, its result JSON); resolves
   * once it was posted, with a way to wait for how it settled there.
   */
  startInWorker: async <T, A = undefined>(server: SyncTestServer, app: App, fn: (arg: A) => T | Promise<T>, arg?: A): Promise<() => Promise<Settled<T>>> => {
    const tag = `eval-${Math.random()}`;
    await app.eval(
      async (message) => {
        (await navigator.serviceWorker.ready).active!.postMessage(message);
      },
      { test: "eval", tag, source: fn.toString(), arg },
    );
    return async () =>
      (await server.until("the worker's answer", () => server.records.find((r) => r.kind === "eval" && r.tag === tag), 60_000)).result as Settled<T>;
  },
  /** Run `fn(arg)` in the app's active worker and settle as it settled there. */
  inWorker: async <T, A = undefined>(server: SyncTestServer, app: App, fn: (arg: A) => T | Promise<T>, arg?: A): Promise<Settled<T>> =>
    (await inPage.startInWorker(server, app, fn, arg))(),
  /**
   * Run `fn(arg)` in a new dedicated or shared worker of the app (tests/browser/fixtures/
   * worker-eval.js, which loads syncward's worker.js) and settle as it settled there.
   */
  inClientWorker: <T, A = undefined>(app: App, kind: ClientWorker, fn: (arg: A) => T | Promise<T>, arg?: A): Promise<Settled<T>> =>
    app.eval(
      ({ kind, source, arg }) => {
        const worker = kind === "dedicated worker" ? new Worker("/worker-eval.js") : new SharedWorker("/worker-eval.js");
        const port = worker instanceof Worker ? worker : worker.port;
        return new Promise<Settled<T>>((resolve) => {
          worker.onerror = (event) => resolve({ ok: false, name: "WorkerError", message: (event as ErrorEvent).message ?? "the worker failed to start" });
          port.onmessage = (event: MessageEvent<Settled<T>>) => resolve(event.data);
          port.postMessage({ source, arg });
        });
      },
      { kind, source: fn.toString(), arg },
    ),
  /** Post a command to the worker's test hooks. */
  tellWorker: (app: App, message: { test: string; tag: string }) =>
    app.eval(async (message) => {
      (await navigator.serviceWorker.ready).active!.postMessage(message);
    }, message),
};

/** Wait until the app's page script and worker are up (and, with the polyfill, its Agent online). */
async function ready(app: App, polyfill: boolean): Promise<void> {
  const mode = await app.eval(async () => {
    for (let i = 0; i < 400 && !("syncward" in globalThis); i++) await new Promise((r) => setTimeout(r, 25));
    const registration = await navigator.serviceWorker.ready;
    if (!registration.active) throw new Error("no active worker");
    return (globalThis as unknown as { syncward?: { mode: string } }).syncward?.mode;
  });
  if (mode !== (polyfill ? "polyfill" : "native")) throw new Error(`syncward.mode is ${mode}, expected ${polyfill ? "polyfill" : "native"}`);
}

/** Wait until the app's worker can fetch from the server again. */
async function workerReaches(server: SyncTestServer, app: App): Promise<void> {
  const tag = `ping-${Math.random()}`;
  await server.until("the worker to reach the server", async () => {
    if (server.records.some((r) => r.kind === "ping" && r.tag === tag)) return true;
    await inPage.tellWorker(app, { test: "ping", tag });
    await new Promise((resolve) => setTimeout(resolve, 100));
    return server.records.some((r) => r.kind === "ping" && r.tag === tag);
  });
}

async function untilOnline(server: SyncTestServer, app: App, online: boolean): Promise<void> {
  await server.until(`the agent to be ${online ? "online" : "offline"}`, async () => (await inPage.status(app)).online === online);
}

/** Outages in Chromium: DevTools' offline emulation (navigator.onLine, every fetch) and the backend down. */
export function chromiumOutage(chromium: ChromiumSession, server: SyncTestServer, app: App, polyfill: boolean): Pick<Environment, "offline" | "online"> {
  return {
    offline: async (via = app) => {
      server.state.health = 503;
      await chromium.setOffline(true);
      if (polyfill) await untilOnline(server, via, false);
    },
    online: async (via = app) => {
      await chromium.setOffline(false);
      // DevTools lifts the emulated outage page by page and worker by worker: the backend
      // comes back only once the worker can reach it, or the polyfill's page could fire an
      // event into a worker that is still offline (a real outage ends for both at once).
      await workerReaches(server, via);
      server.state.health = 204;
      if (polyfill) await untilOnline(server, via, true);
    },
  };
}

/** The backend's status topic (Sparkplug-style STATE) in the MQTT scenarios. */
export const BACKEND_STATUS_TOPIC = "spBv1.0/STATE/syncward-test";

export const backendStatus = (online: boolean) => JSON.stringify({ online, timestamp: Date.now() });

export interface EnvironmentOptions {
  policy?: Partial<Policy>;
  /** More of the page's syncwardConfig (ignored where the native API serves). */
  config?: Record<string, unknown>;
  chromium?: ChromiumOptions;
  chromiumSession?: ChromiumSession;
  /** Also MQTT over WebSocket: a broker on the test server and the backend's status topic (online at first); an object: more of the page's mqtt options. */
  mqtt?: boolean | Record<string, unknown>;
}

export async function environment(t: Teardown, mode: Mode, options: EnvironmentOptions = {}): Promise<Environment> {
  const config = { ...pageConfig(mode, options.policy), ...options.config };
  const server = await SyncTestServer.start(config);
  t.teardown(() => server.close());
  if (options.mqtt) {
    config.mqtt = { url: await server.startBroker(), backendStatus: { topic: BACKEND_STATUS_TOPIC }, ...(options.mqtt === true ? {} : options.mqtt) };
    await server.publishRetained(BACKEND_STATUS_TOPIC, backendStatus(true));
  }
  const polyfill = mode !== "chromium-native";
  const embedded = async (page: BrowserPage, top: "same" | "other"): Promise<App> => {
    const origin = top === "same" ? server.url : server.url.replace("//localhost:", "//127.0.0.1:");
    await page.goto(new URL(`/embed.html?src=${encodeURIComponent(server.url)}`, origin).href);
    const frame = page.frame("app");
    await server.until("the framed app to load", () => frame.eval(() => document.readyState === "complete").catch(() => false));
    await ready(frame, polyfill);
    return frame;
  };

  if (mode === "wpe-polyfill" || mode === "webkitgtk-polyfill") {
    const app = await WebKitSession.start(mode === "wpe-polyfill" ? "wpe" : "webkitgtk", (close) => t.teardown(close));
    await app.goto(server.url);
    await ready(app, true);
    await untilOnline(server, app, true);
    return {
      mode,
      polyfill,
      server,
      app,
      offline: async (via = app) => {
        server.state.health = 503;
        await untilOnline(server, via, false);
      },
      online: async (via = app) => {
        server.state.health = 204;
        await untilOnline(server, via, true);
      },
      reload: async () => {
        await app.reload();
        await ready(app, true);
      },
      embedded: (top) => embedded(app, top),
      twoInstances: async () => {
        await app.goto(new URL("/two-frames.html", server.url).href);
        const frame = (index: 0 | 1): App => ({
          eval: <T, A>(fn: (arg: A) => T | Promise<T>, arg?: A) =>
            app.eval(
              ({ source, arg, index }) => {
                const frame = document.querySelector(`iframe[name="${"ab"[index]}"]`) as HTMLIFrameElement | null;
                if (!frame?.contentWindow) throw new Error(`frame ${index} is gone`);
                return (frame.contentWindow as unknown as { eval(code: string): (arg: unknown) => unknown }).eval(`(${source})`)(arg);
              },
              { source: fn.toString(), arg, index },
            ) as Promise<T>,
        });
        const apps: [App, App] = [frame(0), frame(1)];
        for (const instance of apps) {
          await server.until("the frame's app to load", () =>
            app.eval(
              (name) => document.querySelector<HTMLIFrameElement>(`iframe[name="${name}"]`)?.contentDocument?.readyState === "complete",
              "ab"[apps.indexOf(instance)],
            ),
          );
          await ready(instance, true);
        }
        return {
          apps,
          close: async (index) => {
            await app.eval((name) => document.querySelector(`iframe[name="${name}"]`)!.remove(), "ab"[index]);
          },
        };
      },
    };
  }

  const chromium = options.chromiumSession ?? (await ChromiumSession.launch(options.chromium));
  if (!options.chromiumSession) t.teardown(() => chromium.close());
  const app = await chromium.newPage(server.url);
  await ready(app, polyfill);
  if (polyfill) await untilOnline(server, app, true);
  return {
    mode,
    polyfill,
    server,
    app,
    chromium,
    ...chromiumOutage(chromium, server, app, polyfill),
    reload: async () => {
      await app.reload();
      await ready(app, polyfill);
    },
    embedded: (top) => embedded(app, top),
    twoInstances: async () => {
      const second = await chromium.newPage(server.url);
      await ready(second, polyfill);
      const pages = [app, second] as const;
      return { apps: [app, second], close: (index) => pages[index].close() };
    },
  };
}
