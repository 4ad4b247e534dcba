// What the reference model keeps: domains, scopes and registrations as plain objects, with
// none of the core's structure (no heaps, no linked lists, no chunks); and what a new domain
// or scope starts as (a new registration's start is model-registry.ts's).

import type { DomainId, RegistrationId, RegistrationState, ScopeId } from "../../wasm-core/binding/codes.js";

export interface ModelDomain {
  readonly id: DomainId;
  online: boolean;
  metered: boolean;
  onBattery: boolean;
  /** Retry budget (token bucket), refilled lazily before every read. */
  tokens: number;
  refilledAt: number;
  /** Least ms between two fires (0: no pace). */
  paceInterval: number;
  /** The earliest time of the next fire that holds no reservation. */
  paceNext: number;
  /** Its grid: fires only at paceGrid + k × paceInterval; -1: none. */
  pacePhase: number;
  /** Its scopes in creation order (dead ones included; they are skipped). */
  readonly scopes: ModelScope[];
}

export interface ModelScope {
  readonly id: ScopeId;
  readonly domain: ModelDomain;
  alive: boolean;
  /** The scope's own flag; effectively online = domain online and this. */
  ownOnline: boolean;
  /** When the scope last went from effectively online to offline; undefined if never. */
  offlineSince: number | undefined;
  /** Its origin's periodic timing (below) is read and written in this scope: itself, or the one it joined. */
  origin: ModelScope;
  /** How many scopes joined this one. */
  joined: number;
  minGap: number;
  /** Time of the last successful periodic event; meaningful once `hasFiredPeriodic`. */
  lastPeriodicFire: number;
  hasFiredPeriodic: boolean;
  /** Due but ineligible registrations, oldest parked first. */
  readonly parked: ModelRegistration[];
}

export interface ModelRegistration {
  readonly id: RegistrationId;
  readonly slot: number;
  readonly kind: "one-shot" | "periodic";
  readonly scope: ModelScope;
  state: RegistrationState;
  resolved: boolean;
  readonly unmeteredOnly: boolean;
  readonly allowOnBattery: boolean;
  attempts: number;
  /** Aborted attempts left uncounted since the attempts were last reset. */
  aborts: number;
  readonly maxAttempts: number;
  /** lastChance of the current (or last) firing. */
  lastChance: boolean;
  /** One-shot: expiry (0 = never). */
  expiresAt: number;
  /** Periodic: start of the current period. */
  anchor: number;
  minInterval: number;
  lastDelay: number;
  /** The last counted failure was a timeout: the next retry costs budgetTimeoutRetryCost. */
  retryAfterTimeout: boolean;
  /** It waits in the heap for a point of its domain's pace it reserved. */
  paceReserved: boolean;
  /** Its time in the timer heap, or undefined when not in the heap. */
  timerAt: number | undefined;
  /**
   * When it last joined the tail of its scope's membership (registered, restored, or left
   * the parked list). Only the order in which removeScope frees registrations depends on it.
   */
  joined: number;
}

/** A new domain (SEMANTICS.md "Entities"): offline, a full budget of `tokens`, no pace. */
export function newDomain(id: DomainId, tokens: number): ModelDomain {
  return { id, online: false, metered: false, onBattery: false, tokens, refilledAt: 0, paceInterval: 0, paceNext: 0, pacePhase: -1, scopes: [] };
}

/** A new scope of `domain`: alive, its own flag online, its own origin, nothing fired yet. */
export function newScope(id: ScopeId, domain: ModelDomain, minGap: number): ModelScope {
  const scope = {
    id,
    domain,
    alive: true,
    ownOnline: true,
    offlineSince: undefined,
    joined: 0,
    minGap,
    lastPeriodicFire: 0,
    hasFiredPeriodic: false,
    parked: [],
  } as Omit<ModelScope, "origin"> as ModelScope;
  scope.origin = scope;
  return scope;
}
