// One scheduling core serving many domains, as quinn-proto's Endpoint serves Connections: the
// endpoint owns the core, the time base and the one timer; each domain gets a port whose
// poll() yields only its own decisions. The core tags every decision with its domain and
// keeps a deadline per domain, so routing and a domain's next wake-up cost O(1), however many
// domains share the core.

import { systemClock, type Clock } from "../../agent/clock.js";
import type { Decision, DomainId, Outcome, RegistrationId, RegistrationState, ScopeId } from "./codes.js";
import type { Conditions, PersistedRegistration, RegisterOptions, Scheduler } from "./scheduler.js";
import type { SchedulerPort } from "./scheduler-port.js";

/** What an endpoint needs of a core: the typed Scheduler, or the reference model in tests. */
export type SchedulerCore = Pick<
  Scheduler,
  | "createDomain"
  | "createScope"
  | "joinOrigin"
  | "setConditions"
  | "setPace"
  | "setScopeOnline"
  | "removeScope"
  | "register"
  | "restore"
  | "resolved"
  | "reregister"
  | "complete"
  | "unregister"
  | "handleTimeout"
  | "nextWakeup"
  | "nextWakeupOf"
  | "poll"
  | "state"
  | "has"
  | "persisted"
>;

/** The part of a Clock an endpoint uses: monotonic time and one timer. */
export type EndpointClock = Pick<Clock, "monotonic" | "after" | "cancel">;

/**
 * Owns one core, its time base and its one timer, and hands out a {@link SchedulerPort} per
 * domain. One endpoint with one port is the single-tenant case (a page, one `syncward agent`);
 * the simulator runs thousands of ports on one endpoint.
 */
export class SchedulerEndpoint {
  readonly #core: SchedulerCore;
  readonly #clock: EndpointClock;
  /** Time runs from 1, so that 0 can keep meaning "none" in persisted fields. */
  readonly #origin: number;
  readonly #ports = new Map<DomainId, DomainPort>();
  #timer: unknown;
  #armedAt = Infinity;

  constructor(core: SchedulerCore, clock: EndpointClock) {
    this.#core = core;
    this.#clock = clock;
    this.#origin = clock.monotonic() - 1;
  }

  /** The current time in this endpoint's time base (milliseconds, from 1). */
  now(): number {
    return this.#clock.monotonic() - this.#origin;
  }

  /**
   * A port for `domain`, or for a new domain when omitted. One live port per domain; an
   * unknown domain throws the core's UNKNOWN_DOMAIN at once, not at the port's first call.
   */
  port(domain?: DomainId): SchedulerPort {
    const id = domain ?? this.#core.createDomain();
    if (this.#ports.has(id)) throw new Error(`domain ${id} already has a live port`);
    this.#core.nextWakeupOf(id);
    const port = new DomainPort(this, this.#core, id);
    this.#ports.set(id, port);
    return port;
  }

  /** The port of `domain` closed: decisions still queued for it are dropped. */
  release(port: DomainPort): void {
    if (this.#ports.get(port.domain) === port) this.#ports.delete(port.domain);
    this.settle();
  }

  /**
   * Route what the core decided to the ports, then keep the one timer at the core's earliest
   * deadline. A port's own call yields only its own domain's decisions (only a deadline can
   * touch several domains), so only ports woken by the timer are told.
   */
  settle(woken?: DomainPort[]): void {
    for (let d = this.#core.poll(); d; d = this.#core.poll()) {
      const port = this.#ports.get(d.domain);
      if (port === undefined) continue;
      if (port.deliver(d) && woken) woken.push(port);
    }
    const next = this.#core.nextWakeup();
    if (next === this.#armedAt) return;
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#armedAt = next;
    if (Number.isFinite(next)) this.#timer = this.#clock.after(Math.max(0, next - this.now()), this.#due);
  }

  readonly #due = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    this.#core.handleTimeout(this.now());
    const woken: DomainPort[] = [];
    this.settle(woken);
    for (const port of woken) port.wake();
  };
}

/** The single-tenant case: a core of its own for one Agent (a page, one `syncward agent`). */
export function singleTenant(core: SchedulerCore, clock: EndpointClock = systemClock): SchedulerPort {
  return new SchedulerEndpoint(core, clock).port();
}

/** A SchedulerPort over a shared endpoint. */
class DomainPort implements SchedulerPort {
  readonly #endpoint: SchedulerEndpoint;
  readonly #core: SchedulerCore;
  readonly #decisions: Decision[] = [];
  #head = 0;
  readonly #scopes = new Set<ScopeId>();
  #listener: (() => void) | undefined;
  #closed = false;

  constructor(
    endpoint: SchedulerEndpoint,
    core: SchedulerCore,
    readonly domain: DomainId,
  ) {
    this.#endpoint = endpoint;
    this.#core = core;
  }

  now(): number {
    return this.#endpoint.now();
  }

  onDecisions(listener: () => void): void {
    this.#listener = listener;
  }

  /** Queue a decision; true when it is the first of an empty queue (the owner has to be told). */
  deliver(d: Decision): boolean {
    return this.#decisions.push(d) === this.#head + 1;
  }

  wake(): void {
    if (!this.#closed && this.#head < this.#decisions.length) this.#listener?.();
  }

  #open(): number {
    if (this.#closed) throw new Error(`the scheduler port of domain ${this.domain} is closed`);
    return this.#endpoint.now();
  }

  /** Every call that changes the core ends here: its decisions are routed, the timer kept. */
  #settled<T>(result: T): T {
    this.#endpoint.settle();
    return result;
  }

  createScope(sameOriginAs?: ScopeId): ScopeId {
    this.#open();
    const scope = this.#core.createScope(this.domain);
    if (sameOriginAs !== undefined) this.#core.joinOrigin(scope, sameOriginAs);
    this.#scopes.add(scope);
    return scope;
  }

  removeScope(scope: ScopeId): number {
    const now = this.#open();
    this.#scopes.delete(scope);
    return this.#settled(this.#core.removeScope(scope, now));
  }

  setConditions(conditions: Conditions): void {
    this.#settled(this.#core.setConditions(this.domain, conditions, this.#open()));
  }

  setPace(intervalMs: number, phase?: number): void {
    this.#settled(this.#core.setPace(this.domain, intervalMs, this.#open(), phase));
  }

  setScopeOnline(scope: ScopeId, online: boolean): void {
    this.#settled(this.#core.setScopeOnline(scope, online, this.#open()));
  }

  register(scope: ScopeId, options?: RegisterOptions): RegistrationId {
    return this.#settled(this.#core.register(scope, this.#open(), options));
  }

  restore(scope: ScopeId, saved: PersistedRegistration): RegistrationId {
    return this.#settled(this.#core.restore(scope, saved, this.#open()));
  }

  resolved(id: RegistrationId): RegistrationState {
    return this.#settled(this.#core.resolved(id, this.#open()));
  }

  reregister(id: RegistrationId, minInterval = 0): RegistrationState {
    return this.#settled(this.#core.reregister(id, this.#open(), minInterval));
  }

  complete(id: RegistrationId, outcome: Outcome, retryAfter = 0): RegistrationState | "removed" {
    return this.#settled(this.#core.complete(id, outcome, this.#open(), retryAfter));
  }

  unregister(id: RegistrationId): void {
    this.#settled(this.#core.unregister(id, this.#open()));
  }

  poll(): Decision | undefined {
    if (this.#head === this.#decisions.length) return undefined;
    const d = this.#decisions[this.#head++];
    // Drained: reset, so the queue never holds more than one burst of decisions.
    if (this.#head === this.#decisions.length) this.#decisions.length = this.#head = 0;
    return d;
  }

  nextWakeup(): number {
    return this.#core.nextWakeupOf(this.domain);
  }

  state(id: RegistrationId): RegistrationState {
    return this.#core.state(id);
  }

  has(id: RegistrationId): boolean {
    return this.#core.has(id);
  }

  persisted(id: RegistrationId): PersistedRegistration {
    return this.#core.persisted(id);
  }

  close(): void {
    if (this.#closed) return;
    const now = this.#open();
    this.#closed = true;
    this.#core.setConditions(this.domain, { online: false }, now);
    // The pace is the Agent's word (from what the backend said): the next Agent says its own.
    this.#core.setPace(this.domain, 0, now);
    for (const scope of this.#scopes) this.#core.removeScope(scope, now);
    this.#scopes.clear();
    this.#decisions.length = this.#head = 0;
    this.#endpoint.release(this);
  }
}
