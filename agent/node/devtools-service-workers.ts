// The service workers of a Chromium-family browser as its DevTools protocol shows them, for the
// origins the agent serves: their registrations (scope ↔ registration id), their versions, and
// a session in each running worker with syncward's hook in it (dist/devtools-hook.js).
//
// The ServiceWorker domain lives on page targets only, so the agent opens one of its own: a
// hidden about:blank target (no tab in the UI), which the browser closes with the connection.
// Workers are auto-attached paused (waitForDebuggerOnStart), so the hook is in place before the
// worker's own script runs and before Chromium hands it an event; a worker already running when
// the agent connects gets the hook then, and its capturing listener still runs first.

import { readFileSync } from "node:fs";
import { DEVTOOLS_BINDING, type FireOutcome, type FireRequest, type HandOver } from "../browser/worker-protocol.js";
import type { DevToolsConnection } from "./devtools-connection.js";
import { PeriodicRegistrations, type PeriodicRegistrationEvents } from "./devtools-periodic-registrations.js";
import { packageRoot } from "./package-version.js";

/** Service workers only, each paused at its start until the hook is in. */
const AUTO_ATTACH = {
  autoAttach: true,
  waitForDebuggerOnStart: true,
  flatten: true,
  filter: [{ type: "service_worker", exclude: false }, { exclude: true }],
};
/** How long a worker may take to start and take the hook. */
const START_MS = 30_000;

interface Registration {
  id: string;
  scope: string;
  origin: string;
}

interface Version {
  registrationId: string;
  status: string;
  runningStatus: string;
  targetId?: string;
}

/** The CDP command that fires each event type in a worker. */
const DISPATCH = { sync: "ServiceWorker.dispatchSyncEvent", periodicsync: "ServiceWorker.dispatchPeriodicSyncEvent" } as const;

export interface ServiceWorkerEvents extends PeriodicRegistrationEvents {
  /** A served scope's registration appeared, or has (true) or lost (false) an activated version. */
  active(scope: string, active: boolean): void;
  /** Chromium fired a registration of `scope` and the hook stopped it: the agent is to take it. */
  handOver(scope: string, message: HandOver): Promise<void>;
  log(line: string): void;
}

export class DevToolsServiceWorkers {
  readonly #connection: DevToolsConnection;
  readonly #origins: ReadonlySet<string>;
  readonly #events: ServiceWorkerEvents;
  readonly #registrations = new Map<string, Registration>();
  readonly #versions = new Map<string, Version>();
  /** Hooked worker sessions by target id. */
  readonly #hooked = new Map<string, string>();
  readonly #waiting = new Set<() => void>();
  readonly #active = new Map<string, boolean>();
  /** dist/devtools-hook.js, built by `npm run build`. */
  readonly #hook = readFileSync(new URL("dist/devtools-hook.js", packageRoot()), "utf8");
  #control = "";

  private constructor(connection: DevToolsConnection, origins: readonly string[], events: ServiceWorkerEvents) {
    this.#connection = connection;
    this.#origins = new Set(origins.map((o) => new URL(o).origin));
    this.#events = events;
  }

  static async attach(connection: DevToolsConnection, origins: readonly string[], events: ServiceWorkerEvents): Promise<DevToolsServiceWorkers> {
    const workers = new DevToolsServiceWorkers(connection, origins, events);
    await workers.#start();
    return workers;
  }

  async #start(): Promise<void> {
    const c = this.#connection;
    c.on("Target.attachedToTarget", (params, sessionId) => void this.#attached(params, sessionId));
    c.on("Target.detachedFromTarget", (params) => this.#detached(String(params.targetId)));
    c.on("ServiceWorker.workerRegistrationUpdated", (params) => this.#registrationsUpdated(params.registrations));
    c.on("ServiceWorker.workerVersionUpdated", (params) => this.#versionsUpdated(params.versions));
    c.on("Runtime.bindingCalled", (params, sessionId) => this.#bindingCalled(params, sessionId));
    const { targetId } = await c.send("Target.createTarget", { url: "about:blank", hidden: true, background: true });
    this.#control = String((await c.send("Target.attachToTarget", { targetId, flatten: true })).sessionId);
    // Versions first: a worker found running is matched to its version when it attaches.
    await c.send("ServiceWorker.enable", {}, this.#control);
    await PeriodicRegistrations.observe(c, this.#control, [...this.#origins], (id) => this.#registrations.get(id)?.scope, this.#events);
    await c.send("Target.setAutoAttach", AUTO_ATTACH);
  }

  async #attached(params: Record<string, unknown>, parent: string | undefined): Promise<void> {
    const info = params.targetInfo as { targetId: string; type: string; url: string };
    const sessionId = String(params.sessionId);
    if (parent !== undefined || info.type !== "service_worker") return;
    const c = this.#connection;
    try {
      if (this.#serves(info.url)) {
        await c.send("Runtime.addBinding", { name: DEVTOOLS_BINDING }, sessionId);
        await c.send("Runtime.evaluate", { expression: this.#hook }, sessionId);
        if (!params.waitingForDebugger) return await this.#restart(info.targetId, info.url, sessionId);
        this.#hooked.set(info.targetId, sessionId);
        for (const wake of this.#waiting) wake();
      }
      if (params.waitingForDebugger) await c.send("Runtime.runIfWaitingForDebugger", {}, sessionId);
      // Another origin's worker: let it be, unwatched.
      if (!this.#serves(info.url)) await c.send("Target.detachFromTarget", { sessionId });
    } catch (error) {
      this.#events.log(`service worker ${info.url}: could not put the hook in: ${(error as Error).message}`);
    }
  }

  /**
   * A worker that was running before the agent came got the hook after its own listeners,
   * which Chromium calls first whatever their phase: stop it, so that it starts again, paused,
   * with the hook first (at its next event, or the agent's own start).
   */
  async #restart(targetId: string, url: string, sessionId: string): Promise<void> {
    const version = [...this.#versions].find(([, v]) => v.targetId === targetId);
    if (!version) return this.#events.log(`service worker ${url} ran before the agent and has no version yet: its hook is late`);
    this.#events.log(`service worker ${url} ran before the agent: stopped, to start again with the hook first`);
    this.#hooked.set(targetId, sessionId);
    await this.#connection.send("ServiceWorker.stopWorker", { versionId: version[0] }, this.#control);
  }

  /**
   * A worker stopped (idle, or stopped by the agent): its next start is a new global scope,
   * without the hook. Chromium pauses a restart only for a session that attached to a paused
   * worker, and then on the same target, unannounced; so the agent lets go of the target, and
   * auto-attaching again catches the next start as a new target, paused (#attached).
   */
  async #release(targetId: string): Promise<void> {
    const sessionId = this.#hooked.get(targetId);
    if (sessionId === undefined) return;
    this.#hooked.delete(targetId);
    try {
      await this.#connection.send("Target.detachFromTarget", { sessionId });
      await this.#connection.send("Target.setAutoAttach", AUTO_ATTACH);
    } catch (error) {
      this.#events.log(`could not watch the next start of a service worker: ${(error as Error).message}`);
    }
  }

  #detached(targetId: string): void {
    this.#hooked.delete(targetId);
  }

  #serves(url: string): boolean {
    try {
      return this.#origins.has(new URL(url).origin);
    } catch {
      return false;
    }
  }

  #registrationsUpdated(list: unknown): void {
    if (!Array.isArray(list)) return this.#events.log("ignored ServiceWorker.workerRegistrationUpdated without registrations");
    for (const r of list as { registrationId: string; scopeURL: string; isDeleted: boolean }[]) {
      if (!this.#serves(r.scopeURL)) continue;
      if (r.isDeleted) this.#registrations.delete(r.registrationId);
      else this.#registrations.set(r.registrationId, { id: r.registrationId, scope: r.scopeURL, origin: new URL(r.scopeURL).origin });
      this.#announce(r.scopeURL);
    }
  }

  #versionsUpdated(list: unknown): void {
    if (!Array.isArray(list)) return this.#events.log("ignored ServiceWorker.workerVersionUpdated without versions");
    for (const v of list as (Version & { versionId: string })[]) {
      const before = this.#versions.get(v.versionId);
      if (v.runningStatus === "stopped" && before?.targetId !== undefined) void this.#release(before.targetId);
      this.#versions.set(v.versionId, { registrationId: v.registrationId, status: v.status, runningStatus: v.runningStatus, targetId: v.targetId });
      if (v.status === "redundant") this.#versions.delete(v.versionId);
      const registration = this.#registrations.get(v.registrationId);
      if (registration) this.#announce(registration.scope);
    }
    for (const wake of this.#waiting) wake();
  }

  /** Tell the agent when a scope's having an activated version changed. */
  #announce(scope: string): void {
    const active = this.#activeVersion(scope) !== undefined;
    if (this.#active.get(scope) === active) return;
    this.#active.set(scope, active);
    this.#events.active(scope, active);
  }

  #registrationOf(scope: string): Registration | undefined {
    for (const r of this.#registrations.values()) if (r.scope === scope) return r;
    return undefined;
  }

  #activeVersion(scope: string): Version | undefined {
    const registration = this.#registrationOf(scope);
    if (!registration) return undefined;
    for (const v of this.#versions.values()) if (v.registrationId === registration.id && v.status === "activated") return v;
    return undefined;
  }

  #bindingCalled(params: Record<string, unknown>, sessionId: string | undefined): void {
    if (params.name !== DEVTOOLS_BINDING) return;
    let message: HandOver;
    try {
      message = JSON.parse(String(params.payload)) as HandOver;
    } catch {
      return this.#events.log(`ignored a malformed message from a service worker hook: ${String(params.payload).slice(0, 200)}`);
    }
    const targetId = [...this.#hooked].find(([, s]) => s === sessionId)?.[0];
    const version = [...this.#versions.values()].find((v) => v.targetId === targetId);
    const registration = version && this.#registrations.get(version.registrationId);
    const kindKnown = message.kind === "one-shot" || message.kind === "periodic";
    if (!registration || message.type !== "taken" || !kindKnown || typeof message.tag !== "string" || typeof message.id !== "number") {
      return this.#events.log(`ignored a hand-over the agent cannot place: ${String(params.payload).slice(0, 200)}`);
    }
    this.#events.handOver(registration.scope, message).then(
      () => this.#evaluate(sessionId!, `__syncwardDevTools.taken(${message.id})`).catch(() => {}),
      (error: Error) => this.#events.log(`could not take ${message.kind} "${message.tag}" of ${registration.scope}: ${error.message}`),
    );
  }

  /** The session of the scope's active worker, with the hook in, started if it is not running. */
  async #workerSession(scope: string): Promise<string | undefined> {
    const deadline = Date.now() + START_MS;
    let started = false;
    for (;;) {
      const version = this.#activeVersion(scope);
      if (!version) return undefined;
      const session = version.targetId === undefined ? undefined : this.#hooked.get(version.targetId);
      if (session !== undefined && version.runningStatus === "running") return session;
      if (Date.now() > deadline) throw new Error(`the service worker of ${scope} did not start in ${START_MS} ms`);
      if (!started && version.runningStatus === "stopped") {
        started = true;
        await this.#connection.send("ServiceWorker.startWorker", { scopeURL: scope }, this.#control);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiting.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 100);
        this.#waiting.add(wake);
      });
    }
  }

  /** Evaluate in a worker; `waitMs` 0 for an event's outcome, which takes as long as its listeners (the Agent's time limit ends the wait). */
  async #evaluate(sessionId: string, expression: string, waitMs?: number): Promise<unknown> {
    const answer = (await this.#connection.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }, sessionId, waitMs)) as {
      result?: { value?: unknown };
      exceptionDetails?: { text?: string; exception?: { description?: string } };
    };
    if (answer.exceptionDetails) throw new Error(answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text ?? "exception");
    return answer.result?.value;
  }

  /**
   * Fire `sync` (ServiceWorker.dispatchSyncEvent) or `periodicsync` (dispatchPeriodicSyncEvent,
   * which has no lastChance) in the scope's active worker and wait for its outcome; undefined:
   * no active worker. Where Chromium drops the dispatch (it thinks it is offline), the
   * listeners run on a copy of the event in the worker instead.
   */
  async dispatch(type: FireRequest["type"], scope: string, tag: string, lastChance: boolean, startMs: number): Promise<FireOutcome | undefined> {
    const session = await this.#workerSession(scope);
    const registration = this.#registrationOf(scope);
    if (session === undefined || !registration) return undefined;
    const args = `${JSON.stringify(type)}, ${JSON.stringify(tag)}, ${lastChance}`;
    // Sent together: Chromium reads its DevTools messages in order and forwards the evaluation
    // to the worker at once, while the dispatch first looks the registration up, so the hook
    // expects the event before it comes (a round trip less on the way to the listener).
    const expected = this.#evaluate(session, `__syncwardDevTools.expect(${JSON.stringify(type)}, ${JSON.stringify(tag)})`);
    const dispatched = this.#connection.send(
      DISPATCH[type],
      { origin: registration.origin, registrationId: registration.id, tag, ...(type === "sync" ? { lastChance } : {}) },
      this.#control,
    );
    const id = Number(await expected);
    await dispatched;
    let giveUp: NodeJS.Timeout | undefined;
    const arrived = await Promise.race([
      this.#evaluate(session, `__syncwardDevTools.started(${id}).then(() => true)`, 0),
      new Promise((resolve) => (giveUp = setTimeout(() => resolve(false), startMs))),
    ]).finally(() => clearTimeout(giveUp));
    if (arrived) return (await this.#evaluate(session, `__syncwardDevTools.outcome(${id})`, 0)) as FireOutcome;
    await this.#evaluate(session, `__syncwardDevTools.cancel(${id})`);
    this.#events.log(`Chromium dropped the ${type} event "${tag}" of ${scope} (it thinks it is offline): running the listeners through Runtime.evaluate`);
    return (await this.#evaluate(session, `__syncwardDevTools.fire(${args})`, 0)) as FireOutcome;
  }

  /** Served scopes with a registration, for `syncward sync list` and tests. */
  scopes(): string[] {
    return [...this.#registrations.values()].map((r) => r.scope);
  }
}
