// The dispatcher of a Chromium-family browser reached over its DevTools protocol (Chromium
// `--remote-debugging-port`, Electron, CEF, Qt WebEngine): the agent owns the registrations of
// the browser's service workers and decides when their `sync` and `periodicsync` events run;
// the browser only runs the listeners, with no page open.
//
// One-shot registrations come in when Chromium fires them: the hook in the worker stops
// Chromium's own event and hands the registration over (devtools-hook.ts), and the agent makes
// it durable in its store before Chromium forgets its copy. Periodic ones come in as the app
// registers them, from Chromium's own record (devtools-periodic-registrations.ts), and go when
// it unregisters them. The agent fires with ServiceWorker.dispatchSyncEvent (a real SyncEvent,
// lastChance included) or dispatchPeriodicSyncEvent, and the hook reports how the listeners
// ended. The browser may come and go: an endpoint that does not answer is a log line and a
// retry, and while it is away the scopes' events wait, counted nothing. A browser the agent
// launches itself (`launch`) is reached over its `--remote-debugging-pipe` instead, started
// again when it exits and ended when the agent stops.

import type { BrowserScope } from "../browser-scopes.js";
import type { DispatchResult, Dispatcher, SyncDispatch } from "../dispatcher.js";
import type { HandOver } from "../browser/worker-protocol.js";
import { BrowserProcess } from "./browser-process.js";
import { DevToolsConnection } from "./devtools-connection.js";
import { DevToolsServiceWorkers } from "./devtools-service-workers.js";

/** Where the browser is: its DevTools endpoint, or the command the agent starts it with. */
export type DevToolsBrowser =
  /** `http://127.0.0.1:9222` or its `ws://` URL (`--remote-debugging-port`). */
  | { endpoint: string }
  /** The executable and its arguments; the agent adds `--remote-debugging-pipe`. */
  | { launch: readonly string[] };

export type DevToolsOptions = DevToolsBrowser & {
  /** The origins whose service workers the agent serves, e.g. `["http://localhost:8080"]`. */
  origins: readonly string[];
  /** Wait between connection attempts; default 2 s. */
  retryMs?: number;
  /** How long a dispatched event may take to reach the worker before the agent runs it there itself; default 5 s. */
  startMs?: number;
  /** How long a periodic registration Chromium records may wait for its scope's worker to be activated; default 5 s. */
  activateMs?: number;
};

/** The device agent's browser-hosted registration of a scope (RunningAgent.browserScope). */
export type ServeScope = (scope: string) => BrowserScope;

interface Served {
  scope: BrowserScope;
  /** Set while this dispatcher delivers the scope's events. */
  detach: (() => void) | undefined;
}

export class DevToolsDispatcher implements Dispatcher {
  readonly #options: DevToolsOptions & { retryMs: number; startMs: number; activateMs: number };
  readonly #log: (line: string) => void;
  readonly #scopes = new Map<string, Served>();
  #serve: ServeScope | undefined;
  #connection: DevToolsConnection | undefined;
  #browser: BrowserProcess | undefined;
  /** The connection attempt under way, or the connection's life; close() waits for its end. */
  #attempt: Promise<void> | undefined;
  #workers: DevToolsServiceWorkers | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #connected: ((connected: boolean) => void)[] = [];
  /** Waiting for a scope to be served, by scope. */
  readonly #whenServed = new Map<string, Set<() => void>>();

  constructor(options: DevToolsOptions, log: (line: string) => void) {
    this.#options = { retryMs: 2_000, startMs: 5_000, activateMs: 5_000, ...options };
    this.#log = log;
  }

  /** Start connecting (and reconnecting) to the browser; `serve` gives the agent's side of each scope it finds. */
  start(serve: ServeScope): void {
    this.#serve = serve;
    this.#attempt = this.#connect(false);
  }

  /** Resolves once connected (tests, the benchmark). */
  connected(): Promise<void> {
    if (this.#workers) return Promise.resolve();
    return new Promise((resolve) => this.#connected.push((up) => up && resolve()));
  }

  async #connect(failedBefore: boolean): Promise<void> {
    if (this.#closed) return;
    const where = this.#where();
    try {
      const connection = await this.#open(failedBefore);
      this.#connection = connection;
      this.#workers = await DevToolsServiceWorkers.attach(connection, this.#options.origins, {
        active: (scope, active) => this.#activeChanged(scope, active),
        handOver: (scope, message) => this.#take(scope, message),
        periodicRegistered: (scope, tag, minInterval) => this.#holdPeriodic(scope, tag, minInterval),
        periodicUnregistered: async (scope, tag) => this.#registration(scope).periodicSync.unregister(tag),
        log: this.#log,
      });
      this.#log(`DevTools: connected to ${where}`);
      for (const notify of this.#connected.splice(0)) notify(true);
      await connection.closed;
      if (!this.#closed) this.#log(await this.#lost(where));
      failedBefore = false;
    } catch (error) {
      // One line per outage, not one per attempt.
      if (!failedBefore && !this.#closed)
        this.#log(`DevTools: cannot use ${where} (${await this.#why(error as Error)}); retrying every ${this.#options.retryMs} ms`);
      failedBefore = true;
      void this.#connection?.close();
    }
    // A browser whose pipe broke is not left running beside the next one.
    await this.#browser?.stop();
    this.#browser = undefined;
    this.#connection = undefined;
    this.#workers = undefined;
    for (const served of this.#scopes.values()) this.#detach(served);
    if (!this.#closed) this.#retry = setTimeout(() => (this.#attempt = this.#connect(failedBefore)), this.#options.retryMs);
  }

  /** The browser's endpoint, or the one the agent launches. */
  #where(): string {
    return "endpoint" in this.#options ? this.#options.endpoint : `the browser it launches (${this.#options.launch.join(" ")})`;
  }

  /** A connection to the browser: over its endpoint, or over the pipes of one the agent starts (said unless `quiet`: in an outage). */
  async #open(quiet: boolean): Promise<DevToolsConnection> {
    if ("endpoint" in this.#options) return DevToolsConnection.open(this.#options.endpoint, this.#log);
    const browser = await BrowserProcess.start(this.#options.launch, this.#log);
    this.#browser = browser;
    if (this.#closed) throw new Error("the agent is stopping");
    if (!quiet) this.#log(`DevTools: started the browser (pid ${browser.pid}), speaking DevTools over its --remote-debugging-pipe`);
    return new DevToolsConnection(browser.pipe, this.#log);
  }

  /** Why an attempt failed: a launched browser that exited says how (a bad switch, a profile in use), not the closed pipe. */
  async #why(error: Error): Promise<string> {
    const exited = await this.#exitedSoon();
    return exited ? `the browser exited (${exited})` : error.message;
  }

  /** How the browser the agent launched exited, if it does within a moment; undefined if it runs on (or none was launched). */
  async #exitedSoon(): Promise<string | undefined> {
    if (!this.#browser) return undefined;
    // Its pipes close as it exits: the exit itself follows.
    return Promise.race([this.#browser.exited, new Promise<undefined>((resolve) => setTimeout(resolve, 1_000))]);
  }

  /** The line for a connection that ended while the agent runs. */
  async #lost(where: string): Promise<string> {
    const browser = this.#browser;
    if (!browser) return `DevTools: the connection to ${where} closed; reconnecting`;
    // Given a moment, its exit says how it went rather than the SIGTERM of stop().
    await this.#exitedSoon();
    return `DevTools: the browser (pid ${browser.pid}) exited (${await browser.stop()}); starting it again in ${this.#options.retryMs} ms`;
  }

  /** A scope's worker is active: its events come here; gone: they wait (nothing counted). */
  #activeChanged(scope: string, active: boolean): void {
    let served = this.#scopes.get(scope);
    if (!served && active && this.#serve) {
      try {
        served = { scope: this.#serve(scope), detach: undefined };
      } catch (error) {
        return this.#log(`DevTools: ${scope} is not served: ${(error as Error).message}`);
      }
      this.#scopes.set(scope, served);
    }
    if (!served) return;
    if (!active) {
      if (served.detach) this.#log(`DevTools: ${scope} has no active service worker now: its registrations wait for one`);
      return this.#detach(served);
    }
    served.detach ??= served.scope.attach(this, "devtools");
    for (const wake of this.#whenServed.get(scope) ?? []) wake();
  }

  #detach(served: Served): void {
    served.detach?.();
    served.detach = undefined;
  }

  /** The Agent's side of a scope this dispatcher delivers now. */
  #registration(scope: string): BrowserScope["registration"] {
    const served = this.#scopes.get(scope);
    if (!served?.detach) throw new Error(`${scope} is not served here`);
    return served.scope.registration;
  }

  /**
   * Chromium fired `message.tag`. One-shot: register it with the Agent, durable when this
   * resolves; the event may follow. Periodic: the Agent has it since the app registered it,
   * and fires it on its own schedule; one it does not hold stays Chromium's.
   */
  async #take(scope: string, message: HandOver): Promise<void> {
    const registration = this.#registration(scope);
    if (message.kind === "periodic") {
      if (!(await registration.periodicSync.getTags()).includes(message.tag)) throw new Error("the agent holds no such periodic registration");
      return;
    }
    await registration.sync.register(message.tag);
    registration.resolved("one-shot", message.tag);
  }

  /** Resolves once `scope` is served here, or after `timeoutMs`. */
  async #served(scope: string, timeoutMs: number): Promise<void> {
    if (this.#scopes.get(scope)?.detach) return;
    const waiters = this.#whenServed.get(scope) ?? new Set();
    this.#whenServed.set(scope, waiters);
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      waiters.add(wake);
    });
  }

  /** The app registered periodic `tag` with Chromium: the Agent holds it, durable when this resolves. */
  async #holdPeriodic(scope: string, tag: string, minInterval: number): Promise<void> {
    // The page's `ready` resolves as the worker starts activating, Chromium's "activated" (which
    // serves the scope) comes after its activate event: a register() right after `ready` is
    // recorded before the scope is served. Chromium's record is cleared as it is read, so it waits.
    await this.#served(scope, this.#options.activateMs);
    const registration = this.#registration(scope);
    await registration.periodicSync.register(tag, { minInterval });
    registration.resolved("periodic", tag);
  }

  async dispatch(event: SyncDispatch): Promise<DispatchResult> {
    const workers = this.#workers;
    if (!workers) return { outcome: "undelivered" };
    const aborted = new Promise<undefined>((resolve) => event.signal.addEventListener("abort", () => resolve(undefined), { once: true }));
    try {
      const outcome = await Promise.race([workers.dispatch(event.type, event.scope, event.tag, event.lastChance, this.#options.startMs), aborted]);
      if (event.signal.aborted) return { outcome: "failure", reason: "timeout" };
      if (!outcome) return { outcome: "undelivered" };
      return {
        outcome: outcome.outcome,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.retryAfterMs ? { retryAfterMs: outcome.retryAfterMs } : {}),
      };
    } catch (error) {
      return { outcome: "failure", reason: `failed: ${(error as Error).message}` };
    }
  }

  /** The browser's served scopes and whether the agent is connected: `syncward net status` shows it as `devtools`. */
  status(): { endpoint: string; connected: boolean; scopes: string[] } {
    return { endpoint: this.#where(), connected: this.#workers !== undefined, scopes: [...this.#scopes.keys()] };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    for (const waiters of this.#whenServed.values()) for (const wake of waiters) wake();
    await Promise.all([this.#connection?.close(), this.#browser?.stop()]);
    await this.#attempt;
  }
}
