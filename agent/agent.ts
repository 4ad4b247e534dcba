// The user agent's half of Background Sync: it drives one domain of a scheduling core through
// a port, maps tags to the core's ids per scope and kind, applies the spec's checks to
// register(), keeps the store's records current as they change, and hands the core's
// decisions to the dispatcher. It imports nothing from Node: the same Agent runs in a page, in
// Node and in the simulator; only the ports differ.

import type { Conditions, PersistedRegistration } from "../wasm-core/binding/scheduler.js";
import type { SchedulerPort } from "../wasm-core/binding/scheduler-port.js";
import type { Decision, Outcome, RegistrationId } from "../wasm-core/binding/codes.js";
import { storeKey, type RegistrationStore, type StoredRegistration } from "./store.js";
import { RegistrationTable, originOf, type Kind, type ScopeEntry } from "./registration-table.js";
import type { AgentOptions, AgentServiceWorker, RegistrationStatus, ServiceWorkerOptions } from "./agent-options.js";
import { StoreWriter } from "./store-writer.js";
import { WallTime } from "./wall-time.js";
import { systemClock, type Clock } from "./clock.js";
import type { Dispatcher, DispatchResult } from "./dispatcher.js";
import { EventAbort } from "./event-signal.js";
import { EVENT_NAMES, type BackgroundService, type EventWhat, type LogSink } from "./log.js";
import { createSyncManager } from "./web-api/sync-manager.js";
import { createPeriodicSyncManager } from "./web-api/periodic-sync-manager.js";
import { tagTooLong } from "./tag-limit.js";
import { DISABLED, NO_WINDOW_OR_TAG_TOO_LONG, PERIODIC_DISABLED, PERMISSION_DENIED, noActiveWorker } from "./web-api/register-errors.js";

export type { AgentOptions, AgentServiceWorker, RegistrationStatus, ServiceWorkerOptions };

function samePersisted(a: PersistedRegistration, b: PersistedRegistration): boolean {
  return (Object.keys(a) as (keyof PersistedRegistration)[]).every((key) => a[key] === b[key]);
}

interface Flight {
  controller: EventAbort;
  /** Connectivity dropped while the event ran: a failure then is aborted (free up to the policy's maxAbortedAttempts). */
  lostConnectivity: boolean;
}

export class Agent {
  readonly #scheduler: SchedulerPort;
  readonly #store: RegistrationStore;
  readonly #writer: StoreWriter;
  readonly #dispatcher: Dispatcher;
  readonly #clock: Clock;
  readonly #log: LogSink;
  readonly #problem: (message: string) => void;
  readonly #syncPermitted: () => boolean;
  readonly #periodicSyncPermitted: () => boolean;
  readonly #table = new RegistrationTable();
  readonly #inFlight = new Map<RegistrationId, Flight>();
  /** Core time ↔ the wall time the store keeps, fixed at start. */
  readonly #wall: WallTime;
  #online = false;
  #closed = false;
  /** Registrations whose register() resolved in this turn: the core hears it at the next. */
  #resolving: RegistrationId[] = [];

  private constructor(options: AgentOptions) {
    this.#scheduler = options.scheduler;
    this.#store = options.store;
    this.#writer = new StoreWriter(options.store);
    this.#dispatcher = options.dispatcher;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? (() => {});
    this.#problem = options.onProblem ?? ((message) => console.error(`syncward: ${message}`));
    this.#syncPermitted = options.syncPermitted ?? (() => true);
    this.#periodicSyncPermitted = options.periodicSyncPermitted ?? (() => true);
    this.#wall = new WallTime(this.#clock.wall(), this.#now());
    this.#scheduler.onDecisions(() => this.#afterChange());
  }

  /** Load the store and start. Registrations come back when their scope is added. */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    const { registrations, discarded } = await agent.#store.load();
    for (const line of discarded) agent.#problem(line);
    for (const saved of registrations.values()) agent.#table.parkOne(saved);
    return agent;
  }

  #now(): number {
    return this.#scheduler.now();
  }

  /** Serve a service worker registration; its stored sync registrations come back now. */
  addServiceWorker(scope: string, options: ServiceWorkerOptions): AgentServiceWorker {
    if (this.#table.scope(scope)) throw new Error(`a service worker registration for ${scope} is already served`);
    const origin = originOf(scope);
    const entry: ScopeEntry = {
      url: scope,
      origin,
      id: this.#scheduler.createScope(this.#table.sameOrigin(origin)),
      active: options.active ?? true,
      reachable: true,
      hasWindowClient: options.hasWindowClient,
      confirmsResolution: options.confirmsResolution ?? false,
      tags: { "one-shot": new Map(), periodic: new Map() },
    };
    this.#table.addScope(entry);
    this.#restore(entry);
    this.#afterChange();
    return {
      scope,
      sync: createSyncManager({
        register: (tag) => this.#register(entry, tag, "one-shot", 0),
        getTags: () => this.#getTags(entry, "one-shot"),
      }),
      periodicSync: createPeriodicSyncManager({
        register: (tag, minInterval) => this.#register(entry, tag, "periodic", minInterval),
        getTags: () => this.#getTags(entry, "periodic"),
        unregister: (tag) => this.#unregisterPeriodic(entry, tag),
      }),
      setActive: (active) => {
        const wasHeld = !entry.active;
        entry.active = active;
        // Only an undelivered event takes a scope's events away (see #completed); a worker
        // that is active again brings them back.
        if (active && wasHeld) this.#applyScopeOnline(entry);
      },
      resolved: (kind, tag) => {
        const id = entry.tags[kind].get(tag);
        if (id !== undefined) this.#resolveSoon(id);
      },
      unregister: () => this.#removeScope(entry),
      detach: () => this.#detach(entry),
    };
  }

  /** Scopes with stored registrations that wait for their service worker registration to be added. */
  unservedScopes(): string[] {
    return this.#table.unservedScopes();
  }

  #restore(entry: ScopeEntry): void {
    for (const r of this.#table.takeParked(entry.url)) {
      try {
        const id = this.#scheduler.restore(entry.id, this.#wall.restored(r));
        this.#table.bind(entry, r.tag, r.kind, id);
      } catch (error) {
        this.#problem(`discarded stored ${r.kind} registration "${r.tag}" of ${r.scope}: ${(error as Error).message}`);
        this.#writer.delete(storeKey(r));
      }
    }
  }

  #unbind(id: RegistrationId): void {
    this.#table.unbind(id);
    this.#inFlight.get(id)?.controller.abort();
    this.#inFlight.delete(id);
  }

  /** The device's connectivity and power, as the connectivity signals decide them. */
  setConditions(conditions: Conditions): void {
    if (this.#online && !conditions.online) for (const flight of this.#inFlight.values()) flight.lostConnectivity = true;
    if (this.#online !== conditions.online) this.#dispatcher.onlineChanged?.(conditions.online);
    this.#online = conditions.online;
    this.#scheduler.setConditions(conditions);
    this.#afterChange();
  }

  get online(): boolean {
    return this.#online;
  }

  /**
   * The device's share of what the backend can take, in requests per second (undefined: no
   * pace of its own, the policy's reconnect spread and back-off alone). Sync events are then
   * spaced at least 1 / rate apart; after an outage the first waits a random part of one
   * interval. `slotAt`, a wall-clock time (ms since the epoch) the backend gave this device
   * as one of its slots, puts every event on slotAt + k / rate instead: a backend that hands
   * its devices interleaved slots gets an even load. Set from the backend's admission topic
   * (connectivity/admission.ts).
   */
  setPace(requestsPerSecond: number | undefined, slotAt?: number): void {
    if (requestsPerSecond !== undefined && !(requestsPerSecond > 0 && Number.isFinite(requestsPerSecond))) {
      throw new RangeError(`setPace(${requestsPerSecond}): requests per second must be a positive finite number or undefined`);
    }
    if (slotAt !== undefined && !Number.isFinite(slotAt)) throw new RangeError(`setPace(…, ${slotAt}): the slot must be a finite wall-clock time`);
    if (requestsPerSecond === undefined) {
      this.#scheduler.setPace(0);
    } else {
      const interval = Math.min(2 ** 53, 1000 / requestsPerSecond);
      // The slot in the core's time base, brought into [0, interval).
      const phase = slotAt === undefined ? -1 : (((slotAt - this.#clock.wall() + this.#now()) % interval) + interval) % interval;
      this.#scheduler.setPace(interval, phase < interval ? phase : 0);
    }
    this.#afterChange();
  }

  /**
   * One scope's own reachability (the spec's stricter, origin-specific "online", e.g. a probe
   * of that origin's backend): its registrations fire only while the device and the scope are
   * both online. A failure reported after the scope went offline is aborted.
   */
  setScopeOnline(scope: string, online: boolean): void {
    const entry = this.#table.scope(scope);
    if (!entry) throw new Error(`no service worker registration for ${scope} is served`);
    if (!online) for (const [id, flight] of this.#inFlight) if (this.#table.binding(id)?.scope === entry) flight.lostConnectivity = true;
    entry.reachable = online;
    this.#applyScopeOnline(entry);
  }

  /** The core's scope flag: the host says it is reachable, and it has a worker to take events. */
  #applyScopeOnline(entry: ScopeEntry): void {
    this.#scheduler.setScopeOnline(entry.id, entry.reachable && entry.active);
    this.#afterChange();
  }

  async #register(entry: ScopeEntry, tag: string, kind: Kind, minInterval: number): Promise<void> {
    // Chromium's order: active worker, a top-level window client, the tag cap, permission (the
    // spec asks for permission before the window).
    if (this.#closed || !this.#table.scope(entry.url) || !entry.active) throw noActiveWorker(kind);
    if (!entry.hasWindowClient()) throw new DOMException(NO_WINDOW_OR_TAG_TOO_LONG, "InvalidAccessError");
    if (tagTooLong(tag)) throw new DOMException(NO_WINDOW_OR_TAG_TOO_LONG, "InvalidAccessError");
    const permitted = kind === "one-shot" ? this.#syncPermitted() : this.#periodicSyncPermitted();
    if (!permitted) throw new DOMException(PERMISSION_DENIED, "NotAllowedError");

    let id = entry.tags[kind].get(tag);
    const created = id === undefined;
    if (id === undefined) {
      id = this.#scheduler.register(entry.id, kind === "periodic" ? { periodic: { minInterval } } : {});
      this.#table.bind(entry, tag, kind, id);
    } else {
      const before = this.#scheduler.persisted(id);
      this.#scheduler.reregister(id, minInterval);
      if (!samePersisted(before, this.#scheduler.persisted(id))) this.#put(id);
    }
    this.#record(kind, "Registered", entry.url, tag, kind === "periodic" ? { minInterval: String(minInterval) } : {});
    if (created) this.#put(id);
    this.#afterChange();
    try {
      await this.#writer.durable();
    } catch (error) {
      if (created && this.#table.binding(id)) {
        this.#scheduler.unregister(id);
        this.#forget(id);
      }
      this.#problem(`could not make "${tag}" durable: ${(error as Error).message}`);
      throw new DOMException(kind === "one-shot" ? DISABLED : PERIODIC_DISABLED, "UnknownError");
    }
    // The event follows the resolution of register(), never precedes it.
    if (!entry.confirmsResolution) this.#resolveSoon(id);
  }

  /** One timer serves every registration resolved in the same turn (a burst of 100,000 makes one, not 100,000). */
  #resolveSoon(id: RegistrationId): void {
    if (this.#resolving.push(id) === 1) this.#clock.after(0, this.#resolveAll);
  }

  readonly #resolveAll = (): void => {
    const ids = this.#resolving;
    this.#resolving = [];
    if (this.#closed) return;
    for (const id of ids) if (this.#table.binding(id)) this.#scheduler.resolved(id);
    this.#afterChange();
  };

  async #getTags(entry: ScopeEntry, kind: Kind): Promise<string[]> {
    // The spec's getTags() has no active-worker check and Chromium lists one-shot tags
    // without one; its periodic getTags() answers [] then.
    if (kind === "periodic" && !entry.active) return [];
    return this.#table.scope(entry.url) ? [...entry.tags[kind].keys()] : [];
  }

  async #unregisterPeriodic(entry: ScopeEntry, tag: string): Promise<void> {
    const id = entry.tags.periodic.get(tag);
    if (id === undefined) return;
    this.#scheduler.unregister(id);
    this.#forget(id);
    this.#record("periodic", "Unregistered", entry.url, tag, {});
    this.#afterChange();
    await this.#writer.durable();
  }

  async #removeScope(entry: ScopeEntry): Promise<void> {
    if (!this.#table.serves(entry)) return;
    this.#scheduler.removeScope(entry.id);
    for (const kind of ["one-shot", "periodic"] as const) for (const id of [...entry.tags[kind].values()]) this.#forget(id);
    this.#table.removeScope(entry);
    this.#afterChange();
    await this.#writer.durable();
  }

  #detach(entry: ScopeEntry): void {
    if (!this.#table.serves(entry)) return;
    // What the store holds is what the registrations were last made durable as; they stay.
    const kept: StoredRegistration[] = [];
    for (const kind of ["one-shot", "periodic"] as const) {
      for (const [tag, id] of entry.tags[kind]) {
        kept.push(this.#stored(id, entry.url, tag));
        this.#unbind(id);
      }
    }
    this.#scheduler.removeScope(entry.id);
    this.#table.removeScope(entry);
    this.#table.park(entry.url, kept);
    this.#afterChange();
  }

  /** Drain the core's decisions and hand the store what they changed. */
  #afterChange(): void {
    if (this.#closed) return;
    for (let d = this.#scheduler.poll(); d; d = this.#scheduler.poll()) this.#decide(d);
    if (this.#writer.dirty) this.#writer.durable().catch((error: Error) => this.#problem(`store write failed: ${error.message}`));
  }

  /**
   * The registration's stored record is out of date: write it with the next commit. Returns
   * the record's back-off end in wall time (0: none), or undefined when the registration is gone.
   */
  #put(id: RegistrationId): number | undefined {
    const binding = this.#table.binding(id);
    if (!binding || !this.#scheduler.has(id)) return undefined;
    const record = this.#stored(id, binding.scope.url, binding.tag);
    this.#writer.put(binding.key, record);
    return record.delayUntil;
  }

  /** The registration is gone for good: unbound, and its record deleted with the next commit. */
  #forget(id: RegistrationId): void {
    const binding = this.#table.binding(id);
    if (binding) this.#writer.delete(binding.key);
    this.#unbind(id);
  }

  #decide(d: Decision): void {
    const binding = this.#table.binding(d.id);
    if (!binding) return;
    const { scope, tag, kind } = binding;
    if (d.type === "fire") {
      const flight: Flight = { controller: new EventAbort(), lostConnectivity: false };
      this.#inFlight.set(d.id, flight);
      this.#record(kind, "Dispatched", scope.url, tag, kind === "one-shot" ? { "Last Chance": d.lastChance ? "Yes" : "No" } : {});
      this.#dispatcher
        .dispatch({ type: kind === "one-shot" ? "sync" : "periodicsync", scope: scope.url, tag, lastChance: d.lastChance, signal: flight.controller.signal })
        .then(
          (result) => this.#completed(d.id, flight, result),
          (error: unknown) => this.#completed(d.id, flight, { outcome: "failure", reason: `failed: ${String(error)}` }),
        );
    } else if (d.type === "timedOut") {
      this.#inFlight.get(d.id)?.controller.abort();
      this.#inFlight.delete(d.id);
      this.#record(kind, "failed", scope.url, tag, { "Failure Reason": "timeout", ...this.#nextAttempt(this.#put(d.id)) });
    } else {
      this.#record(kind, "Completed", scope.url, tag, { Status: d.reason === "expired" ? "expired" : "attempts exhausted" });
      this.#forget(d.id);
    }
  }

  #completed(id: RegistrationId, flight: Flight, result: DispatchResult): void {
    // A late answer for an event the core timed out, or a registration that went away.
    if (this.#closed || this.#inFlight.get(id) !== flight) return;
    this.#inFlight.delete(id);
    const binding = this.#table.binding(id);
    if (!binding) return;
    const reregistered = this.#scheduler.state(id) === "reregisteredWhileFiring";
    if (result.outcome === "undelivered") {
      // No worker took it (Chromium: no active version): back to pending, nothing counted,
      // and the scope's registrations wait for setActive(true).
      binding.scope.active = false;
      this.#scheduler.setScopeOnline(binding.scope.id, false);
      this.#scheduler.complete(id, "undelivered", 0);
      this.#afterChange();
      return;
    }
    const outcome: Outcome = result.outcome === "success" ? "success" : flight.lostConnectivity ? "aborted" : "failure";
    const retryAfter = Number.isFinite(result.retryAfterMs) && result.retryAfterMs! > 0 ? result.retryAfterMs! : 0;
    const state = this.#scheduler.complete(id, outcome, retryAfter);
    const { scope, tag, kind } = binding;
    let next: Record<string, string> = {};
    if (state === "removed") this.#writer.delete(binding.key);
    else next = this.#nextAttempt(this.#put(id));
    if (outcome === "success") this.#record(kind, "completed", scope.url, tag, next);
    else
      this.#record(kind, "failed", scope.url, tag, {
        "Failure Reason": outcome === "aborted" ? "aborted" : (result.reason ?? "waitUntil rejected"),
        ...next,
      });
    if (reregistered) this.#record(kind, "Reregistered", scope.url, tag, {});
    if (state === "removed" && outcome === "success") this.#unbind(id);
    this.#afterChange();
  }

  /** The log's "Next Attempt Delay (ms)" for a stored back-off end (wall time, 0: none). */
  #nextAttempt(delayUntil: number | undefined): Record<string, string> {
    if (delayUntil === undefined) return {};
    const wait = delayUntil === 0 ? 0 : this.#wall.fromWall(delayUntil) - this.#now();
    return { "Next Attempt Delay (ms)": String(Math.max(0, Math.round(wait))) };
  }

  #record(kind: Kind, what: EventWhat, scope: string, tag: string, eventMetadata: Record<string, string>): void {
    const service: BackgroundService = kind === "one-shot" ? "backgroundSync" : "periodicBackgroundSync";
    this.#log({ timestamp: this.#clock.wall(), service, scope, eventName: EVENT_NAMES[kind][what], instanceId: tag, eventMetadata });
  }

  #stored(id: RegistrationId, scope: string, tag: string): StoredRegistration {
    return this.#wall.stored(this.#scheduler.persisted(id), scope, tag);
  }

  /** Every registration and its state, for `syncward net status` and tests. */
  status(): RegistrationStatus[] {
    return [...this.#table.bindings()].map(([id, { scope, tag, kind }]) => {
      const { attempts, delayUntil } = this.#scheduler.persisted(id);
      return { scope: scope.url, tag, kind, state: this.#scheduler.state(id), attempts, delayUntil: this.#wall.toWall(delayUntil) };
    });
  }

  /** When the agent next wakes on its own (Infinity when idle). */
  nextWakeup(): number {
    const next = this.#scheduler.nextWakeup();
    return Number.isFinite(next) ? this.#wall.toWall(next) : Infinity;
  }

  /** Stop dispatching, flush the store and release it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writer.durable().catch((error: Error) => this.#problem(`store write failed at close: ${error.message}`));
    this.#closed = true;
    for (const flight of this.#inFlight.values()) flight.controller.abort();
    this.#scheduler.close();
    await this.#store.close();
  }
}
