// The part of ServiceWorkerGlobalScope that service worker scripts use, built inside the
// thread of the worker's origin as a `node:vm` context (one per worker; the origin's workers
// share the thread and its IndexedDB): `self`, events and `on…` handler attributes,
// `registration.sync` / `periodicSync`, ExtendableEvent and the sync events, fetch, timers,
// importScripts, clients, IndexedDB and navigator.storage, console. What only the agent knows (the registrations,
// the window clients) it asks through `ScopeHost`.

import vm from "node:vm";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";
import { ExtendableEvent, dispatchExtendable } from "../web-api/extendable-event.js";
import { PeriodicSyncEvent, SyncEvent } from "../web-api/sync-events.js";
import { PeriodicSyncManager } from "../web-api/periodic-sync-manager.js";
import { SyncManager } from "../web-api/sync-manager.js";
import type { WorkerIndexedDB } from "./worker-indexeddb.js";

/** A window client, as `clients.matchAll()` shows it to workers of its origin. */
export interface WindowClientInfo {
  id: string;
  url: string;
}

/** What the global scope gets from the agent. */
export interface ScopeHost {
  log(line: string): void;
  console: Console;
  online(): boolean;
  /** The window clients of the worker's origin. */
  clients(): Promise<WindowClientInfo[]>;
  unregister(): Promise<boolean>;
  sync: SyncManager;
  periodicSync: PeriodicSyncManager;
  /** A script was imported before installation. */
  imported(url: string): void;
}

const CHROMIUM_IMPORT_ERROR = "Failed to execute 'importScripts' on 'WorkerGlobalScope':";
const HANDLER_ATTRIBUTES = ["install", "activate", "fetch", "message", "messageerror", "sync", "periodicsync"] as const;
/** Node's web globals a worker gets as they are. */
const SHARED_GLOBALS = [
  "Event",
  "EventTarget",
  "CustomEvent",
  "DOMException",
  "Response",
  "Headers",
  "FormData",
  "Blob",
  "File",
  "URL",
  "URLSearchParams",
  "AbortController",
  "AbortSignal",
  "TextEncoder",
  "TextDecoder",
  "ReadableStream",
  "WritableStream",
  "TransformStream",
  "MessageChannel",
  "MessagePort",
  "BroadcastChannel",
  "performance",
  "structuredClone",
  "atob",
  "btoa",
] as const;

type Listener = (event: Event) => void;

export function describe(error: unknown): string {
  if (typeof error === "object" && error !== null && "stack" in error && typeof error.stack === "string") return error.stack;
  return String(error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function windowClient(c: WindowClientInfo): Readonly<Record<string, string>> {
  return Object.freeze({ id: c.id, type: "window", url: c.url, frameType: "top-level" });
}

/** One service worker's realm: its global, its event target and what it holds (timers, imports). */
export class ServiceWorkerGlobalScope {
  readonly target = new EventTarget();
  readonly context: vm.Context;
  readonly global: Record<string, unknown>;
  readonly location: URL;
  readonly #imported: Set<string>;
  readonly #listenerErrors = new WeakMap<Event, unknown[]>();
  /** The worker's pending timers: the thread outlives a dropped worker, its timers must not. */
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  installed: boolean;

  constructor(
    readonly scope: string,
    readonly scriptURL: URL,
    readonly host: ScopeHost,
    readonly storage: WorkerIndexedDB,
    installed: { installed: boolean; imported: readonly string[] },
  ) {
    this.installed = installed.installed;
    this.#imported = new Set(installed.imported);
    this.location = new URL(basename(fileURLToPath(scriptURL)), scope);
    const sandbox = this.#sandbox();
    this.context = vm.createContext(sandbox, { name: `service worker ${scope}` });
    this.global = vm.runInContext("globalThis", this.context) as Record<string, unknown>;
    sandbox.self = this.global;
  }

  report(what: string, error: unknown): void {
    this.host.log(`${this.scope}: ${what}: ${describe(error)}`);
  }

  run(code: string, filename: string): unknown {
    return vm.runInContext(code, this.context, { filename });
  }

  /** Dispatch an extendable event and wait for its waitUntil promises; a listener error fails it. */
  async dispatch(event: Event): Promise<{ failed: boolean; threw: boolean; reason?: unknown }> {
    const errors: unknown[] = [];
    this.#listenerErrors.set(event, errors);
    const result = await dispatchExtendable(this.target, event, errors);
    return { ...result, threw: errors.length > 0 };
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
      if (event) this.#listenerErrors.get(event)?.push(error);
      this.report(`uncaught error in ${what}`, error);
    }
  }

  #listener(type: string, callback: unknown): Listener {
    return (event) => this.#invoke(`a ${type} listener`, callback, this.global, [event], event);
  }

  #timer(repeat: boolean, handler: unknown, ms: unknown, args: unknown[]): number {
    const delay = Math.max(0, Number(ms) || 0);
    const fire = () => {
      if (!repeat) this.#timers.delete(id);
      this.#invoke("a timer callback", handler, this.global, args);
    };
    const timer = repeat ? setInterval(fire, delay) : setTimeout(fire, delay);
    const id = Number(timer);
    this.#timers.set(id, timer);
    return id;
  }

  #clearTimer(id: unknown): void {
    clearTimeout(this.#timers.get(Number(id)));
    this.#timers.delete(Number(id));
  }

  /** The worker is gone from its thread: its timers stop firing. */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
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
      if (this.installed && !this.#imported.has(url.href)) throw failed("not imported before installation");
      let code: string;
      try {
        code = readFileSync(url, "utf8");
      } catch (error) {
        throw failed((error as Error).message);
      }
      if (!this.#imported.has(url.href)) {
        this.#imported.add(url.href);
        this.host.imported(url.href);
      }
      this.run(code, fileURLToPath(url));
    }
  }

  async #clients(options: unknown): Promise<WindowClientInfo[]> {
    const { type = "window", includeUncontrolled = false } = (options ?? {}) as { type?: unknown; includeUncontrolled?: unknown };
    if (type !== "window" && type !== "all") return [];
    return (await this.host.clients()).filter((c) => includeUncontrolled || c.url.startsWith(this.scope));
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
    const wrappers = new WeakMap<object, Map<string, Listener>>();
    const key = (type: string, options: unknown) =>
      `${(typeof options === "boolean" ? options : Boolean((options as { capture?: unknown } | null | undefined)?.capture)) ? "c" : "b"}${type}`;

    // Interface objects as WebIDL exposes them on a global: writable, configurable, not enumerable.
    const interfaces = { ExtendableEvent, SyncEvent, PeriodicSyncEvent, SyncManager, PeriodicSyncManager, ...this.storage.interfaces };
    for (const [name, value] of Object.entries(interfaces)) {
      Object.defineProperty(sandbox, name, { value, writable: true, configurable: true, enumerable: false });
    }
    Object.assign(sandbox, {
      indexedDB: this.storage.indexedDB,
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
        href: base.href,
        origin: base.origin,
        protocol: base.protocol,
        host: base.host,
        hostname: base.hostname,
        port: base.port,
        pathname: base.pathname,
        search: base.search,
        hash: base.hash,
        toString: () => base.href,
      }),
      navigator: Object.freeze({
        userAgent: `syncward (Node.js ${process.versions.node})`,
        get onLine() {
          return host.online();
        },
        storage: Object.freeze({
          estimate: () => this.storage.estimate(),
          persisted: async () => this.storage.persisted,
          persist: async () => this.storage.persisted,
        }),
      }),
      clients: Object.freeze({
        matchAll: async (options?: unknown) => (await this.#clients(options)).map(windowClient),
        get: async (id: unknown) => {
          const found = (await host.clients()).find((c) => c.id === String(id));
          return found ? windowClient(found) : undefined;
        },
        claim: async () => undefined,
      }),
      skipWaiting: async () => undefined,
      registration: Object.freeze({
        scope,
        sync: host.sync,
        periodicSync: host.periodicSync,
        unregister: () => host.unregister(),
        showNotification: async (title: unknown, options?: { body?: unknown }) => {
          host.log(`${scope}: notification "${String(title)}"${options?.body === undefined ? "" : `: ${String(options.body)}`}`);
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
