// The executable reference model of wasm-core/SEMANTICS.md.
//
// What it is for: the differential test (tests/core/differential.test.ts) drives this model
// and the AssemblyScript core with the same random operation sequences and demands the same
// answers after every step. The model is written for clarity, not speed: plain objects,
// arrays and linear scans, one method per rule of the contract, and no structure borrowed
// from the core (no heap arrays, no linked lists, no chunks). It has the public surface of
// the typed `Scheduler` (wasm-core/binding/scheduler.ts) that a host drives, throws the same
// `SchedulerError` codes, and validates every argument before it changes anything.
//
// Points of the contract that are easy to get wrong are marked "Contract:"; each has an
// example test in tests/core/contract-examples.test.ts, written from SEMANTICS.md.
//
// This file is the host's face: it checks every argument, then applies the input through the
// state machine (model-transitions.ts) to what the model keeps (model-entities.ts,
// model-registry.ts, model-persistence.ts for the saved form).
// The model's policy (presets, fields, encoding, validation) is its own (policy-rules.ts);
// from the product it takes only the names of decisions, states, outcomes and errors
// (wasm-core/binding/codes.ts) and the shapes of the host's arguments.

import {
  OUTCOMES,
  SchedulerError,
  type Decision,
  type DomainId,
  type Outcome,
  type RegistrationId,
  type RegistrationState,
  type SchedulerErrorCode,
  type ScopeId,
} from "../../wasm-core/binding/codes.js";
import type { Conditions, PersistedRegistration, RegisterOptions } from "../../wasm-core/binding/scheduler.js";
import { MODEL_PRESETS, applyOverrides, decode, isTime, presetPolicy, type ModelPolicy, type ModelPreset } from "./policy-rules.js";
import { newDomain, newScope, type ModelDomain, type ModelRegistration, type ModelScope } from "./model-entities.js";
import { FIRING_STATES, ModelTransitions } from "./model-transitions.js";
import { newPace } from "./model-pace.js";
import { persistedForm, restoredFields } from "./model-persistence.js";

export type { ModelRegistration };

/** Times above 2^52 ms are refused: there a millisecond is no longer representable. */
const MAX_NOW = 2 ** 52;

/** How the model is configured: as the typed Scheduler is (wasm-core/binding/scheduler.ts). */
export interface ModelOptions {
  preset?: ModelPreset;
  policy?: Partial<ModelPolicy>;
  seed?: number | readonly [number, number];
}

/** The wasm ABI turns every i32 argument (ids, scopes, domains, attempts) into ToInt32(x). */
const toI32 = (x: number): number => x | 0;

export class ReferenceScheduler extends ModelTransitions {
  /** The largest `now` accepted so far. */
  #latest = 0;
  readonly #domains: ModelDomain[] = [];
  readonly #scopes: ModelScope[] = [];

  constructor(options: ModelOptions = {}) {
    super();
    this.usePreset(options.preset ?? "chromium");
    if (options.policy) this.setPolicy(options.policy);
    if (options.seed !== undefined) this.seed(options.seed);
  }

  // ---- Policy and seed (the typed face's conversions, then SEMANTICS.md "Policy") ----

  seed(seed: number | readonly [number, number]): void {
    const [lo, hi] = typeof seed === "number" ? [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0] : seed;
    this.random.seed(lo >>> 0, hi >>> 0);
  }

  usePreset(preset: ModelPreset): void {
    if (!MODEL_PRESETS.includes(preset)) throw new SchedulerError("BAD_POLICY", `usePreset(${String(preset)})`);
    this.rawPolicy = presetPolicy(preset);
  }

  /** All overrides or none. */
  setPolicy(overrides: Partial<ModelPolicy>): void {
    this.rawPolicy = applyOverrides(this.rawPolicy, overrides) ?? this.#fail("BAD_POLICY", "setPolicy");
  }

  policy(): ModelPolicy {
    return decode(this.rawPolicy);
  }

  // ---- Validation helpers: each throws before anything changes ----

  #fail(code: SchedulerErrorCode, operation: string): never {
    throw new SchedulerError(code, operation);
  }

  #checkTime(now: number, operation: string): void {
    if (!Number.isFinite(now) || now < 0 || now > MAX_NOW) this.#fail("BAD_TIME", operation);
    if (now < this.#latest) this.#fail("TIME_WENT_BACKWARDS", operation);
  }

  #domain(raw: number, operation: string): ModelDomain {
    return this.#domains[toI32(raw)] ?? this.#fail("UNKNOWN_DOMAIN", operation);
  }

  #scope(raw: number, operation: string): ModelScope {
    const scope = this.#scopes[toI32(raw)];
    return scope?.alive ? scope : this.#fail("UNKNOWN_SCOPE", operation);
  }

  #registration(raw: number, operation: string): ModelRegistration {
    return this.registry.get(toI32(raw)) ?? this.#fail("UNKNOWN_ID", operation);
  }

  // ---- Entities ----

  createDomain(): DomainId {
    const id = this.#domains.length as DomainId;
    this.#domains.push(newDomain(id, this.rawPolicy.budgetCapacity));
    return id;
  }

  createScope(domain: DomainId): ScopeId {
    const d = this.#domain(domain, "createScope");
    const scope = newScope(this.#scopes.length as ScopeId, d, this.rawPolicy.scopeMinGap);
    this.#scopes.push(scope);
    d.scopes.push(scope);
    return scope.id;
  }

  // ---- Inputs ----

  setConditions(domain: DomainId, conditions: Conditions, now: number): void {
    this.#checkTime(now, "setConditions");
    const d = this.#domain(domain, "setConditions");
    this.#latest = now;
    const before = { online: d.online, metered: d.metered, onBattery: d.onBattery };
    d.online = !!conditions.online;
    d.metered = !!conditions.metered;
    d.onBattery = !!conditions.onBattery;
    const cameOnline = !before.online && d.online;
    const improved = cameOnline || (before.metered && !d.metered) || (before.onBattery && !d.onBattery);
    for (const scope of d.scopes) {
      if (!scope.alive) continue;
      const wasOn = before.online && scope.ownOnline;
      const isOn = this.effectivelyOnline(scope);
      // Contract: offlineSince is the time the scope last went effectively offline, whichever
      // edge did it; a domain going offline after the scope's own flag changes nothing.
      if (wasOn && !isOn) scope.offlineSince = now;
      else if (isOn && improved) this.unpark(scope, now, !wasOn);
    }
  }

  setPace(domain: DomainId, intervalMs: number, now: number, phase = -1): void {
    this.#checkTime(now, "setPace");
    const d = this.#domain(domain, "setPace");
    if (!isTime(intervalMs) || !(phase === -1 || (phase >= 0 && phase < intervalMs))) this.#fail("BAD_ARGUMENT", "setPace");
    this.#latest = now;
    if (intervalMs === d.paceInterval && phase === d.pacePhase) return;
    newPace(d, intervalMs, phase, now, this.random);
    // The reservations of the old pace are looked at again, scope by scope in creation
    // order, each scope's in the order they joined it.
    for (const scope of d.scopes) {
      for (const r of this.registry.membersOf(scope).filter((r) => r.paceReserved)) {
        r.timerAt = undefined;
        r.paceReserved = false;
        this.consider(r, now);
      }
    }
  }

  setScopeOnline(scope: ScopeId, online: boolean, now: number): void {
    this.#checkTime(now, "setScopeOnline");
    const s = this.#scope(scope, "setScopeOnline");
    this.#latest = now;
    const wasOn = this.effectivelyOnline(s);
    s.ownOnline = !!online;
    const isOn = this.effectivelyOnline(s);
    if (wasOn && !isOn) s.offlineSince = now;
    else if (!wasOn && isOn) this.unpark(s, now, true);
  }

  setScopeMinGap(scope: ScopeId, ms: number): void {
    const s = this.#scope(scope, "setScopeMinGap");
    if (!isTime(ms)) this.#fail("BAD_ARGUMENT", "setScopeMinGap");
    s.origin.minGap = ms;
  }

  joinOrigin(scope: ScopeId, other: ScopeId): void {
    const s = this.#scope(scope, "joinOrigin");
    const o = this.#scope(other, "joinOrigin");
    // Contract: one level deep, within one domain.
    if (s === o || s.origin !== s || s.joined > 0 || s.domain !== o.domain) this.#fail("BAD_ARGUMENT", "joinOrigin");
    s.origin = o.origin;
    o.origin.joined++;
  }

  removeScope(scope: ScopeId, now: number): number {
    this.#checkTime(now, "removeScope");
    const s = this.#scope(scope, "removeScope");
    this.#latest = now;
    // Contract: the freeing order decides which ids later registrations get (slots are
    // reused last-freed-first). The core frees the parked ones oldest parked first, then the
    // rest in the order they joined the scope (registered, restored or left the parked list).
    const others = this.registry.membersOf(s).filter((r) => !this.registry.isParked(r));
    const order = [...s.parked, ...others];
    for (const r of order) this.registry.free(r);
    s.alive = false;
    return order.length;
  }

  register(scope: ScopeId, now: number, options: RegisterOptions = {}): RegistrationId {
    this.#checkTime(now, "register");
    const s = this.#scope(scope, "register");
    const minInterval = options.periodic?.minInterval ?? 0;
    if (!isTime(minInterval)) this.#fail("BAD_ARGUMENT", "register");
    const p = this.rawPolicy;
    const periodic = !!options.periodic;
    const r =
      this.registry.add(p.maxRegistrations, {
        kind: periodic ? "periodic" : "one-shot",
        scope: s,
        resolved: false,
        unmeteredOnly: !!options.unmeteredOnly,
        allowOnBattery: options.allowOnBattery !== false,
        attempts: 0,
        maxAttempts: periodic ? p.periodicMaxAttempts : p.maxAttempts,
        expiresAt: !periodic && p.maxRetention > 0 ? now + p.maxRetention : 0,
        anchor: periodic ? now : 0,
        minInterval,
      }) ?? this.#fail("CAPACITY", "register");
    this.#latest = now;
    return r.id;
  }

  restore(scope: ScopeId, saved: PersistedRegistration, now: number): RegistrationId {
    this.#checkTime(now, "restore");
    const s = this.#scope(scope, "restore");
    const attempts = toI32(saved.attempts);
    const maxAttempts = toI32(saved.maxAttempts);
    // Contract: restore's argument rules (SEMANTICS.md "restore"), scope checked first.
    if (maxAttempts < 1 || maxAttempts > 255 || attempts < 0 || attempts >= maxAttempts) this.#fail("BAD_ARGUMENT", "restore");
    if (!isTime(saved.delayUntil) || !isTime(saved.anchorOrExpiry) || !isTime(saved.minInterval)) {
      this.#fail("BAD_ARGUMENT", "restore");
    }
    const fields = restoredFields(s, { ...saved, attempts, maxAttempts });
    const r = this.registry.add(this.rawPolicy.maxRegistrations, fields) ?? this.#fail("CAPACITY", "restore");
    this.#latest = now;
    if (attempts > 0 && saved.delayUntil > now) {
      r.state = r.kind === "periodic" ? "pending" : "waiting";
      r.timerAt = saved.delayUntil;
    } else {
      this.consider(r, now);
    }
    return r.id;
  }

  resolved(id: RegistrationId, now: number): RegistrationState {
    this.#checkTime(now, "resolved");
    const r = this.#registration(id, "resolved");
    this.#latest = now;
    if (!r.resolved) {
      r.resolved = true;
      if (r.state === "pending" && r.timerAt === undefined && !this.registry.isParked(r)) this.consider(r, now);
    }
    return r.state;
  }

  reregister(id: RegistrationId, now: number, minInterval = 0): RegistrationState {
    this.#checkTime(now, "reregister");
    const r = this.#registration(id, "reregister");
    // Contract: minInterval is validated for one-shot registrations too (where it is unused).
    if (!isTime(minInterval)) this.#fail("BAD_ARGUMENT", "reregister");
    this.#latest = now;
    if (r.kind === "one-shot") {
      r.expiresAt = this.rawPolicy.maxRetention > 0 ? now + this.rawPolicy.maxRetention : 0;
      if (r.state === "firing") {
        r.state = "reregisteredWhileFiring";
      } else if (r.state === "waiting" && this.rawPolicy.reregisterBypassesBackoff === 1) {
        r.timerAt = undefined;
        r.state = "pending";
        this.consider(r, now);
      }
    } else if (minInterval !== r.minInterval) {
      // Contract: a new interval replaces the registration (Chromium): a pending or suspended
      // one starts a new period now with no attempts; a firing one only takes the interval and
      // does not become reregisteredWhileFiring.
      r.minInterval = minInterval;
      if (r.state === "pending" || r.state === "suspended") {
        this.resetAttempts(r);
        r.anchor = now;
      }
      if (r.state === "pending") {
        r.timerAt = undefined;
        r.paceReserved = false;
        if (this.registry.isParked(r)) this.registry.leaveParked(r);
        this.consider(r, now);
      }
    } else if (r.state === "firing") {
      r.state = "reregisteredWhileFiring";
    }
    return r.state;
  }

  complete(id: RegistrationId, outcome: Outcome, now: number, retryAfter = 0): RegistrationState | "removed" {
    this.#checkTime(now, "complete");
    const r = this.#registration(id, "complete");
    if (!OUTCOMES.includes(outcome) || !isTime(retryAfter)) {
      this.#fail("BAD_ARGUMENT", "complete");
    }
    if (!FIRING_STATES.includes(r.state)) this.#fail("WRONG_STATE", "complete");
    this.#latest = now;
    return this.applyOutcome(r, outcome, retryAfter, now);
  }

  unregister(id: RegistrationId, now: number): void {
    this.#checkTime(now, "unregister");
    const r = this.#registration(id, "unregister");
    this.#latest = now;
    this.registry.free(r);
  }

  setSuspended(id: RegistrationId, suspended: boolean, now: number): RegistrationState {
    this.#checkTime(now, "setSuspended");
    const r = this.#registration(id, "setSuspended");
    if (r.kind !== "periodic") this.#fail("BAD_ARGUMENT", "setSuspended");
    if (FIRING_STATES.includes(r.state)) this.#fail("WRONG_STATE", "setSuspended");
    this.#latest = now;
    if (suspended && r.state === "pending") {
      r.timerAt = undefined;
      r.paceReserved = false;
      if (this.registry.isParked(r)) this.registry.leaveParked(r);
      r.state = "suspended";
    } else if (!suspended && r.state === "suspended") {
      r.state = "pending";
      this.consider(r, now);
    }
    return r.state;
  }

  handleTimeout(now: number): void {
    this.#checkTime(now, "handleTimeout");
    this.#latest = now;
    for (let pops = 0; ; pops++) {
      if (pops > 1_000_000) throw new Error(`reference model: handleTimeout(${now}) does not terminate`);
      const r = this.registry.earliestTimer();
      if (r === undefined || r.timerAt! > now) return;
      r.timerAt = undefined;
      if (FIRING_STATES.includes(r.state)) {
        this.outputs.push({ type: "timedOut", id: r.id, domain: r.scope.domain.id });
        this.applyOutcome(r, "timeout", 0, now);
      } else {
        if (r.state === "waiting") r.state = "pending";
        this.consider(r, now);
      }
    }
  }

  // ---- Outputs and queries ----

  nextWakeup(): number {
    return this.registry.earliestTimer()?.timerAt ?? Infinity;
  }

  /** The earliest timer of the domain's registrations; a bad domain is UNKNOWN_DOMAIN. */
  nextWakeupOf(domain: DomainId): number {
    // Contract: a domain's deadline is the smallest timer among its own registrations,
    // +Infinity when none has one; nextWakeup() is the smallest over all domains.
    return this.registry.earliestTimer(this.#domain(domain, "nextWakeupOf"))?.timerAt ?? Infinity;
  }

  poll(): Decision | undefined {
    return this.outputs.shift();
  }

  drain(): Decision[] {
    return this.outputs.splice(0);
  }

  state(id: RegistrationId): RegistrationState {
    return this.#registration(id, "state").state;
  }

  has(id: RegistrationId): boolean {
    return this.registry.has(toI32(id));
  }

  persisted(id: RegistrationId): PersistedRegistration {
    return persistedForm(this.#registration(id, "persisted"));
  }

  get liveCount(): number {
    return this.registry.size;
  }
}

/** A fresh reference model, configured as `createScheduler(options)` configures the core. */
export function createReferenceScheduler(options: ModelOptions = {}): ReferenceScheduler {
  return new ReferenceScheduler(options);
}
