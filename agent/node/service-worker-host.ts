// Real service worker scripts in Node: each script runs in its own `node:vm` context whose
// global offers what service worker scripts use (events, fetch, IndexedDB, clients,
// `registration.sync`, importScripts), and the host is the Agent's dispatcher: it fires
// `sync` and `periodicsync` into the worker and reports how the event ended.
//
// The cycle: the Agent needs its dispatcher at construction and the host needs the Agent to
// serve scopes. `NodeServiceWorkerHost.start` resolves it in one step: it builds the host,
// hands it to the caller's agent factory as the dispatcher, and keeps the Agent it returns.

import vm from "node:vm";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { webcrypto } from "node:crypto";
import {
  IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBKeyRange, IDBObjectStore,
  IDBOpenDBRequest, IDBRequest, IDBTransaction, IDBVersionChangeEvent,
} from "fake-indexeddb";
import type { Agent, AgentServiceWorker } from "../agent.js";
import type { Dispatcher, DispatchResult, SyncDispatch } from "../dispatcher.js";
import type { EventSignal } from "../event-signal.js";
import type { WorkerOriginStorage } from "./origin-storage.js";
import { retryAfterOf } from "../retry-after.js";
import { ExtendableEvent, dispatchExtendable } from "../web-api/extendable-event.js";
import { PeriodicSyncEvent, SyncEvent } from "../web-api/sync-events.js";
import { PeriodicSyncManager } from "../web-api/periodic-sync-manager.js";
import { SyncManager } from "../web-api/sync-manager.js";

/** A window client of the host, as `clients.matchAll()` shows it to workers of its origin. */
export interface WindowClientInfo {
  id: string;
  url: string;
}

export interface NodeServiceWorkerHostOptions {
  /**
   * Builds the Agent, given the host as its dispatcher; typically
   * `(dispatcher) => Agent.start({ scheduler: singleTenant(core), store, dispatcher, log })`.
   */
  agent: (dispatcher: Dispatcher) => Agent | Promise<Agent>;
  /**
   * The window clients that exist now, of any origin (default: none). A worker sees those of
   * its scope's origin; they decide the agent's window-client check for register() from the
   * worker. Those whose URL is inside the scope count as controlled.
   */
  windowClients?: () => readonly WindowClientInfo[];
  /** Diagnostics: uncaught listener errors, rejected waitUntil reasons, notifications. Default: stderr. */
  log?: (line: string) => void;
  /** The `console` a worker's script gets, given its scope (default: the process's own). */
  console?: (scope: string) => Console;
  /**
   * The `indexedDB` and `navigator.storage` of an origin's workers, given the origin
   * (default: in memory, lost with the process; `syncward agent` gives a durable WorkerStorage).
   */
  storage?: (origin: string) => WorkerOriginStorage | Promise<WorkerOriginStorage>;
}

/** An origin's IndexedDB in memory: what workers get without a durable storage. */
function memoryStorage(): WorkerOriginStorage {
  return { indexedDB: new IDBFactory(), estimate: async () => ({ usage: 0, quota: 0, usageDetails: { indexedDB: 0 } }), persisted: false };
}

export interface LoadOptions {
  /** The script: a file path (relative to the working directory) or a file: URL. */
  script: string | URL;
  /** The service worker registration's scope, an absolute URL (it is normalized). */
  scope: string;
}

/** A loaded, active service worker. */
export interface HostedServiceWorker {
  /** The normalized scope URL, as the Agent knows it. */
  readonly scope: string;
  /** The Agent's side of the registration (`registration.sync` and friends). */
  readonly registration: AgentServiceWorker;
  /** The worker's `globalThis`, to inspect what the script keeps there. */
  readonly global: Record<string, unknown>;
}

const CHROMIUM_IMPORT_ERROR = "Failed to execute 'importScripts' on 'WorkerGlobalScope':";
const HANDLER_ATTRIBUTES = ["install", "activate", "fetch", "message", "messageerror", "sync", "periodicsync"] as const;
/** Node's web globals a worker gets as they are (the same classes as the host's). */
const SHARED_GLOBALS = [
  "Event", "EventTarget", "CustomEvent", "DOMException", "Response", "Headers", "FormData", "Blob", "File",
  "URL", "URLSearchParams", "AbortController", "AbortSignal", "TextEncoder", "TextDecoder", "ReadableStream",
  "WritableStream", "TransformStream", "MessageChannel", "MessagePort", "BroadcastChannel", "performance",
  "structuredClone", "atob", "btoa",
] as const;

/** Errors thrown by listeners during one dispatch, by event: they fail the event. */
const listenerErrors = new WeakMap<Event, unknown[]>();
const ABORTED = Symbol("aborted");

type Listener = (event: Event) => void;

function describe(error: unknown): string {
  if (typeof error === "object" && error !== null && "stack" in error && typeof error.stack === "string") return error.stack;
  return String(error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** `promise`, or ABORTED as soon as `signal` aborts; the abort listener goes once it settles. */
function untilAborted<T>(promise: Promise<T>, signal: EventSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** One service worker: its realm, its event target and what it holds (timers, imports). */
class HostedWorker {
  readonly target = new EventTarget();
  readonly context: vm.Context;
  readonly global: Record<string, unknown>;
  readonly location: URL;
  readonly timers = new Map<number, NodeJS.Timeout>();
  readonly imported = new Set<string>();
  #nextTimer = 1;
  installed = false;
  active = false;
  disposed = false;
  readonly activated: Promise<boolean>;
  /** Set by the host right after the worker exists, before the script runs. */
  registration!: AgentServiceWorker;
  #settleActivation: (active: boolean) => void = () => {};

  constructor(
    readonly scope: string,
    readonly scriptURL: URL,
    readonly host: {
      log: (line: string) => void; console: Console; online: () => boolean; clients: () => WindowClientInfo[]; unregister: () => Promise<boolean>;
      storage: WorkerOriginStorage;
    },
  ) {
    this.activated = new Promise((resolve) => (this.#settleActivation = resolve));
    this.location = new URL(basename(fileURLToPath(scriptURL)), scope);
    const sandbox = this.#sandbox();
    this.context = vm.createContext(sandbox, { name: `service worker ${scope}` });
    this.global = vm.runInContext("globalThis", this.context) as Record<string, unknown>;
    sandbox.self = this.global;
  }

  activate(): void {
    this.active = true;
    this.#settleActivation(true);
  }

  /** Terminate: no more events or timers. */
  dispose(): void {
    this.disposed = true;
    this.#settleActivation(false);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  report(what: string, error: unknown): void {
    this.host.log(`${this.scope}: ${what}: ${describe(error)}`);
  }

  run(code: string, filename: string): unknown {
    return vm.runInContext(code, this.context, { filename });
  }

  /** Call a listener or a timer callback; an exception or a rejection is reported, never thrown. */
  #invoke(what: string, callback: unknown, thisArg: unknown, args: unknown[], event?: Event): void {
    try {
      let result: unknown;
      if (typeof callback === "function") {
        result = Reflect.apply(callback, thisArg, args);
      } else if (typeof callback === "object" && callback !== null) {
        const handleEvent = (callback as { handleEvent?: unknown }).handleEvent;
        if (typeof handleEvent !== "function") throw new TypeError("The listener's handleEvent is not a function.");
        result = Reflect.apply(handleEvent, callback, args);
      } else if (typeof callback === "string") {
        result = this.run(callback, this.location.href);
      }
      // An async listener's rejection does not fail the event (as in browsers): report it.
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.report(`unhandled rejection in ${what}`, error));
    } catch (error) {
      if (event) listenerErrors.get(event)?.push(error);
      this.report(`uncaught error in ${what}`, error);
    }
  }

  #listener(type: string, callback: unknown): Listener {
    return (event) => this.#invoke(`a ${type} listener`, callback, this.global, [event], event);
  }

  #timer(repeat: boolean, handler: unknown, ms: unknown, args: unknown[]): number {
    if (this.disposed) return 0;
    const id = this.#nextTimer++;
    const delay = Math.max(0, Number(ms) || 0);
    const fire = () => {
      if (!repeat) this.timers.delete(id);
      this.#invoke("a timer callback", handler, this.global, args);
    };
    this.timers.set(id, repeat ? setInterval(fire, delay) : setTimeout(fire, delay));
    return id;
  }

  #clearTimer(id: unknown): void {
    const timer = this.timers.get(Number(id));
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(Number(id));
  }

  #importScripts(urls: unknown[]): void {
    const resolved = urls.map((u) => {
      try {
        return new URL(String(u), this.scriptURL);
      } catch {
        throw new DOMException(`${CHROMIUM_IMPORT_ERROR} The URL '${String(u)}' is invalid.`, "SyntaxError");
      }
    });
    for (const url of resolved) {
      const failed = (why: string) => {
        this.host.log(`${this.scope}: importScripts(${url.href}): ${why}`);
        return new DOMException(`${CHROMIUM_IMPORT_ERROR} The script at '${url.href}' failed to load.`, "NetworkError");
      };
      if (url.protocol !== "file:") throw failed("only file: URLs and paths can be imported in Node");
      // Browsers serve only the scripts imported until installation from then on.
      if (this.installed && !this.imported.has(url.href)) throw failed("not imported before installation");
      let code: string;
      try {
        code = readFileSync(url, "utf8");
      } catch (error) {
        throw failed((error as Error).message);
      }
      this.imported.add(url.href);
      this.run(code, fileURLToPath(url));
    }
  }

  #clients(options: unknown): WindowClientInfo[] {
    const { type = "window", includeUncontrolled = false } = (options ?? {}) as { type?: unknown; includeUncontrolled?: unknown };
    if (type !== "window" && type !== "all") return [];
    return this.host.clients().filter((c) => includeUncontrolled || c.url.startsWith(this.scope));
  }

  #sandbox(): Record<string, unknown> {
    const sandbox: Record<string, unknown> = {};
    for (const name of SHARED_GLOBALS) {
      const value: unknown = Reflect.get(globalThis, name);
      if (value !== undefined) sandbox[name] = value;
    }
    const base = this.location;
    const scope = this.scope;
    const host = this.host;
    const worker = this;
    const wrappers = new WeakMap<object, Map<string, Listener>>();
    const key = (type: string, options: unknown) =>
      `${(typeof options === "boolean" ? options : Boolean((options as { capture?: unknown } | null | undefined)?.capture)) ? "c" : "b"}${type}`;

    // Interface objects as WebIDL exposes them on a global: writable, configurable, not enumerable.
    const interfaces = {
      ExtendableEvent, SyncEvent, PeriodicSyncEvent, SyncManager, PeriodicSyncManager,
      IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBKeyRange, IDBObjectStore,
      IDBOpenDBRequest, IDBRequest, IDBTransaction, IDBVersionChangeEvent,
    };
    for (const [name, value] of Object.entries(interfaces)) {
      Object.defineProperty(sandbox, name, { value, writable: true, configurable: true, enumerable: false });
    }
    Object.assign(sandbox, {
      indexedDB: host.storage.indexedDB,
      crypto: webcrypto,
      console: host.console,
      addEventListener: (type: unknown, listener: unknown, options?: unknown) => {
        if (listener === null || listener === undefined) return;
        if (typeof listener !== "function" && typeof listener !== "object") {
          throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': parameter 2 is not of type 'Object'.");
        }
        const t = String(type);
        let byKey = wrappers.get(listener);
        if (!byKey) wrappers.set(listener, (byKey = new Map()));
        let wrapper = byKey.get(key(t, options));
        if (!wrapper) byKey.set(key(t, options), (wrapper = this.#listener(t, listener)));
        this.target.addEventListener(t, wrapper, options as AddEventListenerOptions | boolean | undefined);
      },
      removeEventListener: (type: unknown, listener: unknown, options?: unknown) => {
        if ((typeof listener !== "function" && typeof listener !== "object") || listener === null) return;
        const t = String(type);
        const wrapper = wrappers.get(listener)?.get(key(t, options));
        if (wrapper) this.target.removeEventListener(t, wrapper, options as EventListenerOptions | boolean | undefined);
      },
      dispatchEvent: (event: Event) => this.target.dispatchEvent(event),
      setTimeout: (handler: unknown, ms?: unknown, ...args: unknown[]) => this.#timer(false, handler, ms, args),
      setInterval: (handler: unknown, ms?: unknown, ...args: unknown[]) => this.#timer(true, handler, ms, args),
      clearTimeout: (id: unknown) => this.#clearTimer(id),
      clearInterval: (id: unknown) => this.#clearTimer(id),
      queueMicrotask: (callback: unknown) => {
        if (typeof callback !== "function") throw new TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
        queueMicrotask(() => this.#invoke("a microtask", callback, undefined, []));
      },
      importScripts: (...urls: unknown[]) => this.#importScripts(urls),
      // Relative URLs resolve against the worker's location, as in a browser.
      fetch: (input: unknown, init?: RequestInit) =>
        fetch(typeof input === "string" || input instanceof URL ? new URL(String(input), base) : (input as Request), init),
      Request: class Request extends globalThis.Request {
        constructor(input: RequestInfo | URL, init?: RequestInit) {
          super(typeof input === "string" ? new URL(input, base) : input, init);
        }
      },
      location: Object.freeze({
        href: base.href, origin: base.origin, protocol: base.protocol, host: base.host, hostname: base.hostname,
        port: base.port, pathname: base.pathname, search: base.search, hash: base.hash, toString: () => base.href,
      }),
      navigator: Object.freeze({
        userAgent: `syncward (Node.js ${process.versions.node})`,
        get onLine() {
          return host.online();
        },
        storage: Object.freeze({
          estimate: () => host.storage.estimate(),
          persisted: async () => host.storage.persisted,
          persist: async () => host.storage.persisted,
        }),
      }),
      clients: Object.freeze({
        matchAll: async (options?: unknown) => this.#clients(options).map(windowClient),
        get: async (id: unknown) => {
          const found = this.host.clients().find((c) => c.id === String(id));
          return found ? windowClient(found) : undefined;
        },
        claim: async () => undefined,
      }),
      skipWaiting: async () => undefined,
      registration: Object.freeze({
        scope,
        get sync() {
          return worker.registration.sync;
        },
        get periodicSync() {
          return worker.registration.periodicSync;
        },
        unregister: () => this.host.unregister(),
        showNotification: async (title: unknown, options?: { body?: unknown }) => {
          this.host.log(`${scope}: notification "${String(title)}"${options?.body === undefined ? "" : `: ${String(options.body)}`}`);
        },
      }),
    });

    // Event handler attributes (WebKit has no `onsync`): one listener per attribute, which
    // calls the current handler; null removes it.
    for (const type of HANDLER_ATTRIBUTES) {
      let handler: unknown = null;
      const listener: Listener = (event) => this.#invoke(`the on${type} handler`, handler, this.global, [event], event);
      Object.defineProperty(sandbox, `on${type}`, {
        enumerable: true,
        configurable: true,
        get: () => handler,
        set: (value: unknown) => {
          const next = typeof value === "function" || (typeof value === "object" && value !== null) ? value : null;
          if (next === null) this.target.removeEventListener(type, listener);
          else if (handler === null) this.target.addEventListener(type, listener);
          handler = next;
        },
      });
    }
    return sandbox;
  }
}

function windowClient(c: WindowClientInfo): Readonly<Record<string, string>> {
  return Object.freeze({ id: c.id, type: "window", url: c.url, frameType: "top-level" });
}

/**
 * Runs service worker scripts in Node, each in its own `node:vm` context, and dispatches the
 * Agent's `sync` and `periodicsync` events into them: the Agent's {@link Dispatcher}.
 *
 * ```ts
 * const host = await NodeServiceWorkerHost.start({
 *   agent: (dispatcher) => Agent.start({ scheduler: singleTenant(core), store, dispatcher }),
 *   windowClients: () => [{ id: "tab-1", url: "http://localhost:8080/" }],
 * });
 * host.agent.setConditions({ online: true });
 * const sw = await host.load({ script: "/abs/path/sw.js", scope: "http://localhost:8080/" });
 * await sw.registration.sync.register("sync-messages");
 * ```
 *
 * A listener that throws and a rejected `waitUntil` fail the event (Chromium's reasons
 * "failed" and "waitUntil rejected"); an event without listeners succeeds; an event still
 * running when the Agent's time limit aborts it ends as "timeout". Errors in listeners and
 * timer callbacks are reported to `log`, never thrown into the process. Not isolated from the
 * process for security: a `node:vm` context is no sandbox for untrusted code.
 */
export class NodeServiceWorkerHost implements Dispatcher {
  readonly #windowClients: () => readonly WindowClientInfo[];
  readonly #log: (line: string) => void;
  readonly #console: (scope: string) => Console;
  readonly #storage: (origin: string) => WorkerOriginStorage | Promise<WorkerOriginStorage>;
  readonly #workers = new Map<string, HostedWorker>();
  #agent: Agent | undefined;
  #closed = false;

  private constructor(options: NodeServiceWorkerHostOptions) {
    this.#windowClients = options.windowClients ?? (() => []);
    this.#log = options.log ?? ((line) => console.error(`syncward: ${line}`));
    this.#console = options.console ?? (() => console);
    const memory = new Map<string, WorkerOriginStorage>();
    this.#storage = options.storage ?? ((origin) => memory.get(origin) ?? memory.set(origin, memoryStorage()).get(origin)!);
  }

  /** Create the host and its Agent (built by `options.agent` with the host as dispatcher). */
  static async start(options: NodeServiceWorkerHostOptions): Promise<NodeServiceWorkerHost> {
    const host = new NodeServiceWorkerHost(options);
    host.#agent = await options.agent(host);
    return host;
  }

  /** The Agent this host dispatches for. */
  get agent(): Agent {
    if (!this.#agent) throw new Error("the host's agent is not built yet");
    return this.#agent;
  }

  #clientsOf(scope: string): WindowClientInfo[] {
    const origin = new URL(scope).origin;
    return this.#windowClients().filter((c) => {
      try {
        return new URL(c.url).origin === origin;
      } catch {
        return false;
      }
    });
  }

  /**
   * Register a service worker: add `scope` to the Agent (its stored sync registrations come
   * back, and fire once the worker is active), run the script's top level, fire `install`
   * and `activate` and wait for them, then make the worker active. Until then register()
   * rejects with InvalidStateError. Rejects, and leaves nothing registered, if the script
   * throws or installation fails; a failed `activate` is only logged, as in browsers.
   */
  async load(options: LoadOptions): Promise<HostedServiceWorker> {
    const agent = this.agent;
    if (this.#closed) throw new Error("the host is closed");
    const scope = new URL(options.scope).href;
    const script = options.script;
    const scriptURL = script instanceof URL ? script : script.startsWith("file:") ? new URL(script) : pathToFileURL(resolvePath(script));
    const code = await readFile(scriptURL, "utf8");
    const storage = await this.#storage(new URL(scope).origin);
    if (this.#workers.has(scope)) throw new Error(`a service worker for ${scope} is already loaded`);
    const worker = new HostedWorker(scope, scriptURL, {
      log: this.#log,
      console: this.#console(scope),
      online: () => agent.online,
      clients: () => this.#clientsOf(scope),
      unregister: () => this.unregister(scope),
      storage,
    });
    // In the map first: adding the scope can dispatch its stored registrations at once, and
    // those events wait for the activation.
    this.#workers.set(scope, worker);
    let registration: AgentServiceWorker;
    try {
      registration = worker.registration = agent.addServiceWorker(scope, { active: false, hasWindowClient: () => this.#clientsOf(scope).length > 0 });
    } catch (error) {
      this.#workers.delete(scope);
      worker.dispose();
      throw error;
    }
    try {
      worker.run(code, fileURLToPath(scriptURL));
      const install = await this.#lifecycle(worker, "install");
      if (install.failed) throw new Error(`${scope}: the install event failed: ${describe(install.reason)}`);
      worker.installed = true;
      // The registration's active worker is set before `activate` fires (Service Workers
      // §Activate), so register() from an activate listener succeeds; sync events still wait
      // for worker.activate() below.
      registration.setActive(true);
      const activate = await this.#lifecycle(worker, "activate");
      if (activate.failed) worker.report("the activate event failed", activate.reason);
      if (worker.disposed) throw new DOMException(`${scope} was unregistered while installing.`, "AbortError");
    } catch (error) {
      if (this.#workers.get(scope) === worker) {
        this.#workers.delete(scope);
        worker.dispose();
        // Its stored sync registrations stay: a broken deploy must not lose queued work.
        registration.detach();
      }
      throw error;
    }
    worker.activate();
    return { scope, registration, global: worker.global };
  }

  async #lifecycle(worker: HostedWorker, type: "install" | "activate"): Promise<{ failed: boolean; reason?: unknown }> {
    const event = new ExtendableEvent(type);
    const errors: unknown[] = [];
    listenerErrors.set(event, errors);
    return dispatchExtendable(worker.target, event, errors);
  }

  /**
   * Unregister the service worker registration of `scope`: the worker stops, and the Agent
   * drops its sync registrations. Resolves false if no worker was loaded there.
   */
  async unregister(scope: string): Promise<boolean> {
    const key = new URL(scope).href;
    const worker = this.#workers.get(key);
    if (!worker) return false;
    this.#workers.delete(key);
    worker.dispose();
    await worker.registration.unregister();
    return true;
  }

  /** The Dispatcher port: fire the event in the scope's worker and report its outcome. */
  async dispatch({ type, scope, tag, lastChance, signal }: SyncDispatch): Promise<DispatchResult> {
    const timeout: DispatchResult = { outcome: "failure", reason: "timeout" };
    const worker = this.#workers.get(scope);
    if (!worker || worker.disposed) return { outcome: "failure", reason: "failed" };
    if (!worker.active) {
      // A stored registration that came back while its worker was still installing.
      const ready = await untilAborted(worker.activated, signal);
      if (ready === ABORTED) return timeout;
      if (!ready) return { outcome: "failure", reason: "failed" };
    }
    if (signal.aborted) return timeout;
    const event = type === "sync" ? new SyncEvent("sync", { tag, lastChance }) : new PeriodicSyncEvent("periodicsync", { tag });
    const errors: unknown[] = [];
    listenerErrors.set(event, errors);
    const result = await untilAborted(dispatchExtendable(worker.target, event, errors), signal);
    if (result === ABORTED) return timeout;
    if (!result.failed) return { outcome: "success" };
    if (errors.length > 0) return { outcome: "failure", reason: "failed" };
    worker.report(`${type} event "${tag}": waitUntil rejected`, result.reason);
    const retryAfterMs = retryAfterOf(result.reason, Date.now());
    return { outcome: "failure", reason: "waitUntil rejected", ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }

  /** Close the Agent (its registrations stay stored) and stop every worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent?.close();
    for (const worker of this.#workers.values()) worker.dispose();
    this.#workers.clear();
  }
}
