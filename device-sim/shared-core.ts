// One Wasm core serving a whole fleet of Agents, one core domain per device.
//
// The Agent drives its Scheduler as if it owned it: it polls every decision, calls
// handleTimeout at the core's (global) nextWakeup, and counts time from its own start. Handed
// one shared Scheduler, agents steal each other's decisions (a retry of device B polled by
// device A is dropped), every agent wakes at every other agent's deadline, and an agent
// started after a reboot feeds the core times behind the others'. So each Agent gets a
// DomainPort instead: the Scheduler surface it uses, over the shared core, that
//  - routes every decision to the port whose registration it concerns,
//  - leaves the core's timers to ONE driver entry in the fleet's event queue (no per-device
//    timer), which wakes only the agents that received decisions,
//  - moves times between the agent's clock (from its start) and the core's (the fleet's).

import type { Conditions, PersistedRegistration, RegisterOptions, Scheduler } from "../agent/core/scheduler.js";
import type { Decision, Outcome, RegistrationState } from "../agent/core/codes.js";
import type { EventQueue, Timed } from "./event-queue.js";

export class SharedCore implements Timed {
  at = 0;
  seq = 0;
  queued = false;
  readonly #owners = new Map<number, DomainPort>();
  readonly #woken: DomainPort[] = [];
  #armedAt = Infinity;

  constructor(readonly scheduler: Scheduler, readonly queue: EventQueue) {}

  /** A port for an Agent starting now on `domain` (a new one when omitted). */
  port(onDecisions: () => void, domain = this.scheduler.createDomain()): DomainPort {
    return new DomainPort(this, domain, this.queue.now - 1, onDecisions);
  }

  own(id: number, port: DomainPort): void {
    this.#owners.set(id, port);
  }

  disown(id: number): void {
    this.#owners.delete(id);
  }

  /** Hand every decision the core produced to its owner; wake owners other than `caller`. */
  route(caller?: DomainPort): void {
    for (let d = this.scheduler.poll(); d; d = this.scheduler.poll()) {
      const owner = this.#owners.get(d.id);
      if (owner === undefined || !owner.alive) continue;
      if (d.type === "dropped") this.#owners.delete(d.id);
      owner.deliver(d);
      if (owner !== caller && !owner.woken) {
        owner.woken = true;
        this.#woken.push(owner);
      }
    }
    this.#rearm();
  }

  /** The driver: the core's next deadline came. */
  fire(now: number): void {
    this.#armedAt = Infinity;
    this.scheduler.handleTimeout(now);
    this.route();
    this.wake();
  }

  /** Let woken agents poll (through their own public surface: see DomainPort.onDecisions). */
  wake(): void {
    while (this.#woken.length > 0) {
      const port = this.#woken.shift()!;
      port.woken = false;
      if (port.alive && port.hasDecisions) port.onDecisions();
    }
  }

  #rearm(): void {
    const next = this.scheduler.nextWakeup();
    if (next >= this.#armedAt) return;
    this.#armedAt = next;
    this.queue.schedule(this, next);
  }
}

/**
 * What one Agent sees as its Scheduler. Times in and out are the agent's (its clock since its
 * start, from 1); the core's are the fleet's (`agent time + offset`).
 */
export class DomainPort {
  readonly #shared: SharedCore;
  readonly #core: Scheduler;
  readonly #offset: number;
  readonly #decisions: Decision[] = [];
  readonly #scopes: number[] = [];
  #alive = true;
  woken = false;

  constructor(shared: SharedCore, readonly domain: number, offset: number, readonly onDecisions: () => void) {
    this.#shared = shared;
    this.#core = shared.scheduler;
    this.#offset = offset;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get hasDecisions(): boolean {
    return this.#decisions.length > 0;
  }

  /** This port as the Agent's `scheduler` option: the Agent calls only the methods below. */
  asScheduler(): Scheduler {
    return this as unknown as Scheduler;
  }

  deliver(d: Decision): void {
    this.#decisions.push(d);
  }

  /** The device crashed: its registrations leave the core (the store keeps them). */
  kill(): void {
    if (!this.#alive) return;
    this.#alive = false;
    const now = this.#shared.queue.now;
    // The next boot starts offline, as a fresh process does, whatever this one last said.
    this.#core.setConditions(this.domain, { online: false }, now);
    for (const scope of this.#scopes) this.#core.removeScope(scope, now);
    this.#decisions.length = 0;
    this.#shared.route();
  }

  /** A stored time (a back-off's end, an expiry) of the agent's, in the core's time. */
  #in(t: number): number {
    return t + this.#offset;
  }

  /**
   * The core's "now" for an agent's call. Agents only ever pass their current time, and the
   * fleet's own reading is exact where (t - origin) + offset could land an ulp early.
   */
  #now(_agentNow: number): number {
    return this.#shared.queue.now;
  }

  #out(t: number): number {
    return t === 0 ? 0 : t - this.#offset;
  }

  /** A dead boot's late calls (a store write queued just before the crash) change nothing. */
  #live(): void {
    if (!this.#alive) throw new Error("the device crashed");
  }

  #after<T>(result: T): T {
    this.#shared.route(this);
    return result;
  }

  #own(id: number): number {
    this.#shared.own(id, this);
    return id;
  }

  createDomain(): number {
    return this.domain;
  }

  createScope(domain: number): number {
    this.#live();
    const scope = this.#core.createScope(domain);
    this.#scopes.push(scope);
    return scope;
  }

  setConditions(domain: number, conditions: Conditions, now: number): void {
    this.#live();
    this.#after(this.#core.setConditions(domain, conditions, this.#now(now)));
  }

  removeScope(scope: number, now: number): number {
    this.#live();
    return this.#after(this.#core.removeScope(scope, this.#now(now)));
  }

  register(scope: number, now: number, options: RegisterOptions = {}): number {
    this.#live();
    return this.#after(this.#own(this.#core.register(scope, this.#now(now), options)));
  }

  restore(scope: number, saved: PersistedRegistration, now: number): number {
    this.#live();
    const inCore = { ...saved, delayUntil: saved.delayUntil === 0 ? 0 : this.#in(saved.delayUntil), anchorOrExpiry: saved.anchorOrExpiry === 0 ? 0 : this.#in(saved.anchorOrExpiry) };
    return this.#after(this.#own(this.#core.restore(scope, inCore, this.#now(now))));
  }

  resolved(id: number, now: number): RegistrationState {
    this.#live();
    return this.#after(this.#core.resolved(id, this.#now(now)));
  }

  reregister(id: number, now: number, minInterval = 0): RegistrationState {
    this.#live();
    return this.#after(this.#core.reregister(id, this.#now(now), minInterval));
  }

  complete(id: number, outcome: Outcome, now: number, retryAfter = 0): RegistrationState | "removed" {
    this.#live();
    const state = this.#core.complete(id, outcome, this.#now(now), retryAfter);
    if (state === "removed" && outcome === "success") this.#shared.disown(id);
    return this.#after(state);
  }

  unregister(id: number, now: number): void {
    this.#live();
    this.#core.unregister(id, this.#now(now));
    this.#shared.disown(id);
    this.#after(undefined);
  }

  /** The shared driver handles the core's deadlines; an agent's own wake-up only collects. */
  handleTimeout(_now: number): void {
    this.#shared.route(this);
  }

  /** Now when decisions wait for this agent (it then polls at once), else never. */
  nextWakeup(): number {
    return this.#decisions.length > 0 ? this.#shared.queue.now - this.#offset : Infinity;
  }

  poll(): Decision | undefined {
    return this.#decisions.shift();
  }

  state(id: number): RegistrationState {
    return this.#core.state(id);
  }

  has(id: number): boolean {
    return this.#core.has(id);
  }

  persisted(id: number): PersistedRegistration {
    this.#live();
    const p = this.#core.persisted(id);
    return { ...p, delayUntil: this.#out(p.delayUntil), anchorOrExpiry: this.#out(p.anchorOrExpiry) };
  }
}
