// Real service worker scripts in Node, off the agent's thread (`worker_threads`), as browsers
// run them: the workers of one origin share one thread, which holds their origin's IndexedDB
// (origin-thread.ts). The host is the Agent's dispatcher, fires `sync` and `periodicsync` into
// the worker's thread and reports how each event ended. A listener stuck in a synchronous loop
// blocks only its origin's thread; the agent, the connectivity signals, the control socket and
// other origins' workers go on, and the stuck thread is terminated and started again on demand.
//
// The cycle: the Agent needs its dispatcher at construction and the host needs the Agent to
// serve scopes. `NodeServiceWorkerHost.start` resolves it in one step: it builds the host,
// hands it to the caller's agent factory as the dispatcher, and keeps the Agent it returns.

import { readFile } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { Agent, AgentServiceWorker } from "../agent.js";
import type { Dispatcher, DispatchResult, SyncDispatch } from "../dispatcher.js";
import type { EventSignal } from "../event-signal.js";
import { createPeriodicSyncManager, type PeriodicSyncManager } from "../web-api/periodic-sync-manager.js";
import { createSyncManager, type SyncManager } from "../web-api/sync-manager.js";
import { describe, type WindowClientInfo } from "./service-worker-global-scope.js";
import { OriginThread } from "./origin-thread.js";
import type { AgentCall, EventOutcome, LifecycleOutcome, ThreadNote } from "./service-worker-protocol.js";
import { ServiceWorkerVersion, workerLimits, type ServiceWorkerLimits } from "./service-worker-version.js";

export type { WindowClientInfo } from "./service-worker-global-scope.js";
export type { ServiceWorkerLimits } from "./service-worker-version.js";

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
  /** Diagnostics: uncaught listener errors, rejected waitUntil reasons, stuck workers. Default: stderr. */
  log?: (line: string) => void;
  /** Where a worker's console goes, given its scope (default: the process's own). */
  console?: (scope: string) => Console;
  /**
   * Time limits of the script's top level, install, activate, and of a thread's answer to a
   * ping (see {@link ServiceWorkerLimits}), each a positive number of ms up to 2^31 - 1 (else
   * RangeError). A sync event's limit is the policy's `eventTimeout`.
   */
  limits?: ServiceWorkerLimits;
  /**
   * A directory (it must exist) for the workers' durable IndexedDB: one journal per origin,
   * shared by the origin's workers, written only by their thread; a transaction whose
   * `complete` fired survives a crash. Default: none, each origin's IndexedDB in memory, gone
   * with its thread.
   */
  storageDirectory?: string;
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
  /** The registration as a page of the scope sees it: `registration.sync` and `registration.periodicSync`. */
  readonly registration: { readonly scope: string; readonly sync: SyncManager; readonly periodicSync: PeriodicSyncManager };
  /**
   * Evaluate `expression` in the worker's global scope, as a debugger's console does (its
   * thread starts if it had stopped). Resolves with a structured clone of the value, awaited
   * if it is a promise; rejects with the worker's exception, or DataCloneError.
   */
  evaluate(expression: string): Promise<unknown>;
}

/** One registered worker: its script's version (and thread), and the Agent's side of its registration. */
class Registered {
  /** Set right after the worker is in the host's map, before its thread starts. */
  registration!: AgentServiceWorker;
  active = false;
  readonly activated: Promise<boolean>;
  settle: (active: boolean) => void = () => {};

  constructor(readonly version: ServiceWorkerVersion) {
    this.activated = new Promise<boolean>((resolve) => (this.settle = resolve));
  }
}

const ABORTED = Symbol("aborted");

/** `promise`, or ABORTED as soon as `signal` aborts; the abort listener goes once it settles. */
function untilAborted<T>(promise: Promise<T>, signal: EventSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
  });
}

/**
 * Runs service worker scripts in Node, in one thread per origin, and dispatches the Agent's
 * `sync` and `periodicsync` events into them: the Agent's {@link Dispatcher}.
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
 * running when the Agent's time limit aborts it ends as "timeout", and if its thread does not
 * answer a ping then either, the thread is terminated (with the other workers of its origin)
 * and starts again at the next event.
 * Errors in listeners and timer callbacks are reported to `log`, never thrown into the
 * process. A thread is no security boundary: run only your own workers.
 */
export class NodeServiceWorkerHost implements Dispatcher {
  readonly #windowClients: () => readonly WindowClientInfo[];
  readonly #log: (line: string) => void;
  readonly #console: (scope: string) => Console;
  readonly #limits: Required<ServiceWorkerLimits>;
  readonly #storageDirectory: string | undefined;
  readonly #workers = new Map<string, Registered>();
  readonly #origins = new Map<string, OriginThread>();
  /** navigator.onLine of every worker, read in their threads without a round trip. */
  readonly #online = new SharedArrayBuffer(4);
  #agent: Agent | undefined;
  #closed = false;

  private constructor(options: NodeServiceWorkerHostOptions) {
    this.#windowClients = options.windowClients ?? (() => []);
    this.#log = options.log ?? ((line) => console.error(`syncward: ${line}`));
    this.#console = options.console ?? (() => console);
    this.#limits = workerLimits(options.limits ?? {});
    this.#storageDirectory = options.storageDirectory;
  }

  /** Create the host and its Agent (built by `options.agent` with the host as dispatcher). */
  static async start(options: NodeServiceWorkerHostOptions): Promise<NodeServiceWorkerHost> {
    const host = new NodeServiceWorkerHost(options);
    host.#agent = await options.agent(host);
    host.onlineChanged(host.#agent.online);
    return host;
  }

  /** The Agent this host dispatches for. */
  get agent(): Agent {
    if (!this.#agent) throw new Error("the host's agent is not built yet");
    return this.#agent;
  }

  /** The Dispatcher port's notice: the workers' navigator.onLine follows. */
  onlineChanged(online: boolean): void {
    Atomics.store(new Int32Array(this.#online), 0, online ? 1 : 0);
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
   * back, and fire once the worker is active), start its thread and run the script's top
   * level, fire `install` and `activate` and wait for them (each within its limit), then make
   * the worker active. Until then register() rejects with InvalidStateError. Rejects, and
   * leaves nothing registered, if the script throws or installation fails or overruns; a
   * failed `activate` is only logged, as in browsers.
   */
  async load(options: LoadOptions): Promise<HostedServiceWorker> {
    const agent = this.agent;
    if (this.#closed) throw new Error("the host is closed");
    const scope = new URL(options.scope).href;
    const script = options.script;
    const scriptURL = script instanceof URL ? script : script.startsWith("file:") ? new URL(script) : pathToFileURL(resolvePath(script));
    const code = await readFile(scriptURL, "utf8");
    if (this.#workers.has(scope)) throw new Error(`a service worker for ${scope} is already loaded`);
    const worker = this.#register(scope, scriptURL, code);
    // In the map first: adding the scope can dispatch its stored registrations at once, and
    // those events wait for the activation.
    this.#workers.set(scope, worker);
    try {
      worker.registration = agent.addServiceWorker(scope, {
        active: false,
        confirmsResolution: true,
        hasWindowClient: () => this.#clientsOf(scope).length > 0,
      });
    } catch (error) {
      this.#workers.delete(scope);
      await worker.version.stop();
      throw error;
    }
    try {
      await this.#install(worker, scope);
    } catch (error) {
      if (this.#workers.get(scope) === worker) {
        this.#workers.delete(scope);
        worker.settle(false);
        await worker.version.stop();
        // Its stored sync registrations stay: a broken deploy must not lose queued work.
        worker.registration.detach();
      }
      throw error;
    }
    worker.active = true;
    worker.settle(true);
    return { scope, registration: pageRegistration(scope, worker.registration), evaluate: (expression) => this.#evaluate(worker, expression) };
  }

  #register(scope: string, scriptURL: URL, code: string): Registered {
    const worker: Registered = new Registered(
      new ServiceWorkerVersion(
        { scope, scriptURL: scriptURL.href, code },
        this.#originThread(new URL(scope).origin),
        { call: (call) => this.#answer(worker, scope, call), note: (note) => this.#noted(worker, scope, note) },
        this.#log,
      ),
    );
    return worker;
  }

  #originThread(origin: string): OriginThread {
    let thread = this.#origins.get(origin);
    if (!thread) {
      thread = new OriginThread({ origin, storageDirectory: this.#storageDirectory, online: this.#online }, this.#limits, this.#log);
      this.#origins.set(origin, thread);
    }
    return thread;
  }

  async #install(worker: Registered, scope: string): Promise<void> {
    await worker.version.running();
    const install = await worker.version.request({ cmd: "lifecycle", type: "install" }, this.#limits.installMs);
    if (!install.answered) throw new Error(`${scope}: the install event ran past its limit of ${this.#limits.installMs} ms`);
    const installed = install.value as LifecycleOutcome;
    if (installed.failed) throw new Error(`${scope}: the install event failed: ${installed.reason}`);
    worker.version.installed();
    // The registration's active worker is set before `activate` fires (Service Workers
    // §Activate), so register() from an activate listener succeeds; sync events still wait
    // for the activation below.
    worker.registration.setActive(true);
    const activate = await worker.version.request({ cmd: "lifecycle", type: "activate" }, this.#limits.activateMs);
    if (!activate.answered) this.#log(`${scope}: the activate event ran past its limit of ${this.#limits.activateMs} ms`);
    else if ((activate.value as LifecycleOutcome).failed) this.#log(`${scope}: the activate event failed: ${(activate.value as { reason: string }).reason}`);
    if (this.#workers.get(scope) !== worker) throw new DOMException(`${scope} was unregistered while installing.`, "AbortError");
  }

  async #evaluate(worker: Registered, expression: string): Promise<unknown> {
    const answer = await worker.version.request({ cmd: "evaluate", expression }, Infinity);
    return answer.answered ? answer.value : undefined;
  }

  /** A call from the worker's thread: what only the agent knows. */
  async #answer(worker: Registered, scope: string, call: AgentCall): Promise<unknown> {
    const registration = worker.registration;
    switch (call.op) {
      case "register":
        return call.kind === "one-shot"
          ? registration.sync.register(call.tag)
          : registration.periodicSync.register(call.tag, { minInterval: call.minInterval });
      case "getTags":
        return call.kind === "one-shot" ? registration.sync.getTags() : registration.periodicSync.getTags();
      case "unregisterPeriodic":
        return registration.periodicSync.unregister(call.tag);
      case "unregister":
        return this.unregister(scope);
      case "clients":
        return this.#clientsOf(scope);
    }
  }

  #noted(worker: Registered, scope: string, note: ThreadNote): void {
    switch (note.note) {
      case "log":
        return this.#log(note.line);
      case "console":
        return note.stream === "stdout" ? this.#console(scope).log(note.text) : this.#console(scope).error(note.text);
      case "imported":
        return worker.version.imported(note.url);
      case "resolved":
        return worker.registration.resolved(note.kind, note.tag);
    }
  }

  /**
   * Unregister the service worker registration of `scope`: the worker leaves its origin's
   * thread (which ends with the origin's last worker), and the Agent drops its sync registrations. Resolves false if no worker was loaded there.
   */
  async unregister(scope: string): Promise<boolean> {
    const key = new URL(scope).href;
    const worker = this.#workers.get(key);
    if (!worker) return false;
    this.#workers.delete(key);
    worker.settle(false);
    await worker.version.stop();
    await worker.registration.unregister();
    return true;
  }

  /** The Dispatcher port: fire the event in the scope's worker and report its outcome. */
  async dispatch({ type, scope, tag, lastChance, signal }: SyncDispatch): Promise<DispatchResult> {
    const timeout: DispatchResult = { outcome: "failure", reason: "timeout" };
    const worker = this.#workers.get(scope);
    if (!worker) return { outcome: "failure", reason: "failed" };
    if (!worker.active) {
      // A stored registration that came back while its worker was still installing.
      const ready = await untilAborted(worker.activated, signal);
      if (ready === ABORTED) return timeout;
      if (!ready) return { outcome: "failure", reason: "failed" };
    }
    if (signal.aborted) return timeout;
    let answer;
    try {
      // No limit of the host's own: the Agent's signal carries the policy's event time limit.
      answer = await worker.version.request({ cmd: "fire", type, tag, lastChance }, Infinity, signal);
    } catch (error) {
      // The thread could not start again, or ended under the event (terminated as stuck).
      this.#log(`${scope}: ${type} event "${tag}": ${describe(error)}`);
      return { outcome: "failure", reason: "failed" };
    }
    if (!answer.answered) return timeout;
    const outcome = answer.value as EventOutcome;
    if (!outcome.failed) return { outcome: "success" };
    if (outcome.threw) return { outcome: "failure", reason: "failed" };
    return { outcome: "failure", reason: "waitUntil rejected", ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }) };
  }

  /** Close the Agent (its registrations stay stored), wait for the workers' IndexedDB commits in flight, and end every thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent?.close();
    await Promise.all([...this.#workers.values()].map((worker) => worker.version.stop()));
    this.#workers.clear();
  }
}

/**
 * The registration's managers as a page of the scope holds them: the scope's register() is
 * confirmed by its caller (the worker's thread confirms its own), so these confirm theirs.
 */
function pageRegistration(scope: string, registration: AgentServiceWorker): HostedServiceWorker["registration"] {
  return {
    scope,
    sync: createSyncManager({
      register: (tag) => registration.sync.register(tag).then(() => registration.resolved("one-shot", tag)),
      getTags: () => registration.sync.getTags(),
    }),
    periodicSync: createPeriodicSyncManager({
      register: (tag, minInterval) => registration.periodicSync.register(tag, { minInterval }).then(() => registration.resolved("periodic", tag)),
      getTags: () => registration.periodicSync.getTags(),
      unregister: (tag) => registration.periodicSync.unregister(tag),
    }),
  };
}
