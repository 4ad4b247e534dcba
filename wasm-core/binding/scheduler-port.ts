// What an Agent drives: one domain (a device, a browser profile) of a scheduling core that may
// serve many. The port owns no time of its own: it reads its endpoint's, so every Agent on one
// core speaks the same time base, however late it started.

import type { Decision, DomainId, Outcome, RegistrationId, RegistrationState, ScopeId } from "./codes.js";
import type { Conditions, PersistedRegistration, RegisterOptions } from "./scheduler.js";

/**
 * One domain of a Background Sync scheduling core, as its owner (an Agent) sees it: the calls
 * that change the domain's registrations, the decisions that concern only this domain, and
 * this domain's next deadline. The port's endpoint handles time and timers: its owner never
 * arms a timer, it drains {@link SchedulerPort.poll} after each of its own calls and when the
 * port tells it that decisions wait.
 *
 * Times are milliseconds in the endpoint's time base ({@link SchedulerPort.now}), from 1, so
 * that 0 can mean "none" in persisted fields.
 */
export interface SchedulerPort {
  /** The domain's id in the core. */
  readonly domain: DomainId;
  /** The current time in the endpoint's time base. */
  now(): number;
  /**
   * Who to tell when decisions wait that the owner's own calls did not produce (a deadline
   * passed). One listener; a later call replaces it.
   */
  onDecisions(listener: () => void): void;

  /**
   * A new scope (a service worker registration); `sameOriginAs`: a scope of the same origin,
   * whose periodic timing (minimum gap, last periodic event) it shares, as the spec keeps it per origin.
   */
  createScope(sameOriginAs?: ScopeId): ScopeId;
  /** Forget a scope (its service worker registration went away) and all it held. */
  removeScope(scope: ScopeId): number;
  setConditions(conditions: Conditions): void;
  /**
   * At most one fire per `intervalMs` in this domain (0: no pace): the device's share of what
   * the backend can take. Registrations due sooner wait for their point of the pace. With a
   * `phase` in [0, intervalMs), only the points phase + k × intervalMs of the endpoint's
   * time base (a slot the backend gave the device).
   */
  setPace(intervalMs: number, phase?: number): void;
  /** A scope's own reachability (the spec's stricter, origin-specific "online"). */
  setScopeOnline(scope: ScopeId, online: boolean): void;
  /** A new registration, pending until {@link SchedulerPort.resolved}. Returns its id. */
  register(scope: ScopeId, options?: RegisterOptions): RegistrationId;
  /** Rebuild a stored registration; its times are in the endpoint's time base. */
  restore(scope: ScopeId, saved: PersistedRegistration): RegistrationId;
  /** The register() promise resolved: the registration may fire from now on. */
  resolved(id: RegistrationId): RegistrationState;
  /** The same tag registered again (coalescing). */
  reregister(id: RegistrationId, minInterval?: number): RegistrationState;
  /** How a dispatched event ended; "removed" when the registration is gone. */
  complete(id: RegistrationId, outcome: Outcome, retryAfter?: number): RegistrationState | "removed";
  unregister(id: RegistrationId): void;

  /** The oldest undrained decision of this domain, if any. */
  poll(): Decision | undefined;
  /** This domain's earliest deadline in the endpoint's time base; Infinity when none. */
  nextWakeup(): number;

  state(id: RegistrationId): RegistrationState;
  has(id: RegistrationId): boolean;
  persisted(id: RegistrationId): PersistedRegistration;

  /**
   * Let the domain go: its scopes and registrations leave the core (a store keeps what is
   * durable), it is left offline, and later calls throw. A new port may take the domain again.
   */
  close(): void;
}
