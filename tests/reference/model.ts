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
import { MAX_TIME, MODEL_PRESETS, applyOverrides, decode, presetPolicy, type ModelPolicy, type ModelPreset, type RawPolicy } from "./policy-rules.js";
import { Xoshiro128 } from "./random.js";
import type { ModelDomain, ModelRegistration, ModelScope } from "./model-entities.js";
import { backoff, budgetEnabled, periodicDue, refill, refund, retryAfterWait, retryCost } from "./model-timing.js";

export type { ModelRegistration };

/** Times above 2^52 ms are refused: there a millisecond is no longer representable. */
const MAX_NOW = 2 ** 52;

/** How the model is configured: as the typed Scheduler is (wasm-core/binding/scheduler.ts). */
export interface ModelOptions {
  preset?: ModelPreset;
  policy?: Partial<ModelPolicy>;
  seed?: number | readonly [number, number];
}

const FIRING_STATES: readonly RegistrationState[] = ["firing", "reregisteredWhileFiring"];

/** The wasm ABI turns every i32 argument (ids, scopes, domains, attempts) into ToInt32(x). */
const toI32 = (x: number): number => x | 0;

/** A finite duration or time in [0, MAX_TIME]. */
const validInterval = (v: number): boolean => Number.isFinite(v) && v >= 0 && v <= MAX_TIME;

export class ReferenceScheduler {
  #policy: RawPolicy = presetPolicy("chromium");
  readonly #random = new Xoshiro128();
  /** The largest `now` accepted so far. */
  #latest = 0;
  readonly #domains: ModelDomain[] = [];
  readonly #scopes: ModelScope[] = [];
  /** Live registrations by id. */
  readonly #registrations = new Map<number, ModelRegistration>();
  /** Generation of every slot ever used; the array's length is the number of slots. */
  readonly #generations: number[] = [];
  /** Freed slots; the last freed is reused first. */
  readonly #freeSlots: number[] = [];
  readonly #outputs: Decision[] = [];
  #joinCounter = 0;

  constructor(options: ModelOptions = {}) {
    this.usePreset(options.preset ?? "chromium");
    if (options.policy) this.setPolicy(options.policy);
    if (options.seed !== undefined) this.seed(options.seed);
  }

  // ---- Policy and seed (the typed face's conversions, then SEMANTICS.md "Policy") ----

  seed(seed: number | readonly [number, number]): void {
    const [lo, hi] = typeof seed === "number" ? [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0] : seed;
    this.#random.seed(lo >>> 0, hi >>> 0);
  }

  usePreset(preset: ModelPreset): void {
    if (!MODEL_PRESETS.includes(preset)) throw new SchedulerError("BAD_POLICY", `usePreset(${String(preset)})`);
    this.#policy = presetPolicy(preset);
  }

  /** All overrides or none. */
  setPolicy(overrides: Partial<ModelPolicy>): void {
    this.#policy = applyOverrides(this.#policy, overrides) ?? this.#fail("BAD_POLICY", "setPolicy");
  }

  policy(): ModelPolicy {
    return decode(this.#policy);
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
    return this.#registrations.get(toI32(raw)) ?? this.#fail("UNKNOWN_ID", operation);
  }

  // ---- Entities ----

  createDomain(): DomainId {
    const id = this.#domains.length as DomainId;
    this.#domains.push({
      id,
      online: false,
      metered: false,
      onBattery: false,
      tokens: this.#policy.budgetCapacity,
      refilledAt: 0,
      paceInterval: 0,
      paceNext: 0,
      pacePhase: -1,
      scopes: [],
    });
    return id;
  }

  createScope(domain: DomainId): ScopeId {
    const d = this.#domain(domain, "createScope");
    const scope = {
      id: this.#scopes.length as ScopeId,
      domain: d,
      alive: true,
      ownOnline: true,
      offlineSince: undefined,
      joined: 0,
      minGap: this.#policy.scopeMinGap,
      lastPeriodicFire: 0,
      hasFiredPeriodic: false,
      parked: [],
    } as Omit<ModelScope, "origin"> as ModelScope;
    scope.origin = scope;
    this.#scopes.push(scope);
    d.scopes.push(scope);
    return scope.id;
  }

  #effectivelyOnline(scope: ModelScope): boolean {
    return scope.domain.online && scope.ownOnline;
  }

  #eligible(r: ModelRegistration): boolean {
    const d = r.scope.domain;
    if (!this.#effectivelyOnline(r.scope)) return false;
    if (r.unmeteredOnly && d.metered) return false;
    if (!r.allowOnBattery && d.onBattery) return false;
    return true;
  }

  #isParked(r: ModelRegistration): boolean {
    return r.scope.parked.includes(r);
  }

  #leaveParked(r: ModelRegistration): void {
    const list = r.scope.parked;
    list.splice(list.indexOf(r), 1);
    r.joined = ++this.#joinCounter;
  }

  // ---- Registrations: ids and slots ----

  /** A fresh slot and its id, or undefined at maxRegistrations. */
  #allocate(): { slot: number; id: RegistrationId } | undefined {
    if (this.#registrations.size >= this.#policy.maxRegistrations) return undefined;
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#generations.length;
      this.#generations.push(0);
    }
    return { slot, id: (slot | (this.#generations[slot]! << 24)) as RegistrationId };
  }

  /** Forget a registration: out of the heap and lists; its slot's generation moves on. */
  #free(r: ModelRegistration): void {
    if (this.#isParked(r)) r.scope.parked.splice(r.scope.parked.indexOf(r), 1);
    r.timerAt = undefined;
    this.#registrations.delete(r.id);
    this.#generations[r.slot] = (this.#generations[r.slot]! + 1) & 0x7f;
    this.#freeSlots.push(r.slot);
  }

  /** Overridable so a test can prove that a wrong rule is caught. */
  protected isLastChance(r: Readonly<ModelRegistration>, now: number): boolean {
    return r.kind === "one-shot" && (r.attempts + 1 >= r.maxAttempts || (r.expiresAt > 0 && now >= r.expiresAt));
  }

  // ---- The core transitions ----

  /** SEMANTICS.md "Considering a registration": a pending one in neither heap nor list. */
  #consider(r: ModelRegistration, now: number): void {
    if (!r.resolved) return;
    // Contract: a pace reservation is used up by the look that follows its timer, whatever
    // that look decides (fire, park, wait for the budget).
    const reserved = r.paceReserved;
    r.paceReserved = false;
    // Contract: for a pending periodic entry popped by handleTimeout, the periodic due time
    // is computed afresh: if the scope's last periodic fire, its min gap or the policy moved
    // it later, it goes back to the heap.
    if (r.kind === "periodic" && r.attempts === 0) {
      const due = periodicDue(this.#policy, r);
      if (due > now) {
        r.timerAt = due;
        return;
      }
    }
    if (!this.#eligible(r)) {
      r.scope.parked.push(r);
      return;
    }
    if (r.attempts > 0 && budgetEnabled(this.#policy)) {
      const cost = retryCost(this.#policy, r);
      const tokens = refill(this.#policy, r.scope.domain, now);
      if (tokens < cost) {
        const wait = Math.min(MAX_TIME, ((cost - tokens) / this.#policy.budgetRefillPerSecond) * 1000);
        // Contract: a wait too small to move the clock (now + wait == now, a rounding
        // shortfall of the refill) counts as no wait; otherwise handleTimeout would pop
        // and re-push the entry at `now` forever.
        if (now + wait > now) {
          r.timerAt = now + wait;
          return;
        }
      }
    }
    const d = r.scope.domain;
    if (!reserved && d.paceInterval > 0) {
      // Contract: with a grid, the reserved point is the first grid point at or after max(now, paceNext).
      const at = this.#onGrid(d, Math.max(now, d.paceNext));
      d.paceNext = at + d.paceInterval;
      if (at > now) {
        r.paceReserved = true;
        r.timerAt = at;
        return;
      }
    }
    this.#fire(r, now);
  }

  // Contract: a decision names the domain of its registration as it is when the decision is
  // made (a dropped registration is freed right after).
  #fire(r: ModelRegistration, now: number): void {
    if (r.attempts > 0 && budgetEnabled(this.#policy)) {
      const d = r.scope.domain;
      d.tokens = refill(this.#policy, d, now) - retryCost(this.#policy, r);
    }
    r.state = "firing";
    r.lastChance = this.isLastChance(r, now);
    r.timerAt = now + (r.lastChance ? this.#policy.lastChanceEventTimeout : this.#policy.eventTimeout);
    this.#outputs.push({ type: "fire", id: r.id, domain: r.scope.domain.id, lastChance: r.lastChance });
  }

  #resetAttempts(r: ModelRegistration): void {
    r.attempts = 0;
    r.aborts = 0;
    r.lastDelay = 0;
  }

  /** Release a scope's parked registrations that are now eligible. */
  #unpark(scope: ModelScope, now: number, onlineEdge: boolean): void {
    if (!this.#effectivelyOnline(scope)) return;
    const p = this.#policy;
    const d = scope.domain;
    let spread = 0;
    // Contract: a paced domain skips the reconnect spread; with something parked, its next
    // point moves to a random point within one interval of the online edge (one draw), never earlier.
    if (onlineEdge && d.paceInterval > 0) {
      if (scope.parked.length > 0 && d.pacePhase < 0) d.paceNext = Math.max(d.paceNext, now + d.paceInterval * this.#random.draw());
    } else if (onlineEdge && p.reconnectSpreadRatio > 0) {
      const outage = scope.offlineSince === undefined ? 0 : now - scope.offlineSince;
      spread = Math.min(p.reconnectSpreadMax, outage * p.reconnectSpreadRatio);
    }
    for (const r of [...scope.parked]) {
      if (!this.#eligible(r)) continue;
      this.#leaveParked(r);
      const offset = spread > 0 ? spread * this.#random.draw() : 0;
      if (offset > 0) r.timerAt = now + offset;
      else this.#consider(r, now);
    }
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
      const isOn = this.#effectivelyOnline(scope);
      // Contract: offlineSince is the time the scope last went effectively offline, whichever
      // edge did it; a domain going offline after the scope's own flag changes nothing.
      if (wasOn && !isOn) scope.offlineSince = now;
      else if (isOn && improved) this.#unpark(scope, now, !wasOn);
    }
  }

  #onGrid(d: ModelDomain, t: number): number {
    if (d.pacePhase < 0) return t;
    return d.pacePhase + Math.ceil((t - d.pacePhase) / d.paceInterval) * d.paceInterval;
  }

  setPace(domain: DomainId, intervalMs: number, now: number, phase = -1): void {
    this.#checkTime(now, "setPace");
    const d = this.#domain(domain, "setPace");
    if (!validInterval(intervalMs) || !(phase === -1 || (phase >= 0 && phase < intervalMs))) this.#fail("BAD_ARGUMENT", "setPace");
    this.#latest = now;
    if (intervalMs === d.paceInterval && phase === d.pacePhase) return;
    d.paceInterval = intervalMs;
    d.pacePhase = phase;
    // Contract: a domain holding registrations back (paceNext later than now) restarts at its
    // first grid point, or without a grid at a random point of the new interval (one draw);
    // an idle one stays free to fire at once (at its next grid point with a grid).
    if (intervalMs > 0 && d.paceNext > now) d.paceNext = phase >= 0 ? now : now + intervalMs * this.#random.draw();
    // The reservations of the old pace are looked at again, scope by scope in creation
    // order, each scope's in the order they joined it.
    for (const scope of d.scopes) {
      const holding = [...this.#registrations.values()].filter((r) => r.scope === scope && r.paceReserved).sort((a, b) => a.joined - b.joined);
      for (const r of holding) {
        r.timerAt = undefined;
        r.paceReserved = false;
        this.#consider(r, now);
      }
    }
  }

  setScopeOnline(scope: ScopeId, online: boolean, now: number): void {
    this.#checkTime(now, "setScopeOnline");
    const s = this.#scope(scope, "setScopeOnline");
    this.#latest = now;
    const wasOn = this.#effectivelyOnline(s);
    s.ownOnline = !!online;
    const isOn = this.#effectivelyOnline(s);
    if (wasOn && !isOn) s.offlineSince = now;
    else if (!wasOn && isOn) this.#unpark(s, now, true);
  }

  setScopeMinGap(scope: ScopeId, ms: number): void {
    const s = this.#scope(scope, "setScopeMinGap");
    if (!validInterval(ms)) this.#fail("BAD_ARGUMENT", "setScopeMinGap");
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
    const others = [...this.#registrations.values()].filter((r) => r.scope === s && !this.#isParked(r)).sort((a, b) => a.joined - b.joined);
    const order = [...s.parked, ...others];
    for (const r of order) this.#free(r);
    s.alive = false;
    return order.length;
  }

  register(scope: ScopeId, now: number, options: RegisterOptions = {}): RegistrationId {
    this.#checkTime(now, "register");
    const s = this.#scope(scope, "register");
    const minInterval = options.periodic?.minInterval ?? 0;
    if (!validInterval(minInterval)) this.#fail("BAD_ARGUMENT", "register");
    const place = this.#allocate() ?? this.#fail("CAPACITY", "register");
    this.#latest = now;
    const p = this.#policy;
    const periodic = !!options.periodic;
    const r: ModelRegistration = {
      id: place.id,
      slot: place.slot,
      kind: periodic ? "periodic" : "one-shot",
      scope: s,
      state: "pending",
      resolved: false,
      unmeteredOnly: !!options.unmeteredOnly,
      allowOnBattery: options.allowOnBattery !== false,
      attempts: 0,
      aborts: 0,
      maxAttempts: periodic ? p.periodicMaxAttempts : p.maxAttempts,
      lastChance: false,
      expiresAt: !periodic && p.maxRetention > 0 ? now + p.maxRetention : 0,
      anchor: periodic ? now : 0,
      minInterval,
      lastDelay: 0,
      retryAfterTimeout: false,
      paceReserved: false,
      timerAt: undefined,
      joined: ++this.#joinCounter,
    };
    this.#registrations.set(r.id, r);
    return r.id;
  }

  restore(scope: ScopeId, saved: PersistedRegistration, now: number): RegistrationId {
    this.#checkTime(now, "restore");
    const s = this.#scope(scope, "restore");
    const attempts = toI32(saved.attempts);
    const maxAttempts = toI32(saved.maxAttempts);
    // Contract: restore's argument rules (SEMANTICS.md "restore"), scope checked first.
    if (maxAttempts < 1 || maxAttempts > 255 || attempts < 0 || attempts >= maxAttempts) this.#fail("BAD_ARGUMENT", "restore");
    if (!validInterval(saved.delayUntil) || !validInterval(saved.anchorOrExpiry) || !validInterval(saved.minInterval)) {
      this.#fail("BAD_ARGUMENT", "restore");
    }
    const place = this.#allocate() ?? this.#fail("CAPACITY", "restore");
    this.#latest = now;
    const periodic = saved.kind === "periodic";
    // Contract: a restored registration's next retry costs budgetRetryCost (whether the last
    // failure was a timeout is not persisted) and its lastDelay is 0.
    const r: ModelRegistration = {
      id: place.id,
      slot: place.slot,
      kind: periodic ? "periodic" : "one-shot",
      scope: s,
      state: "pending",
      resolved: true,
      unmeteredOnly: !!saved.unmeteredOnly,
      allowOnBattery: !!saved.allowOnBattery,
      attempts,
      aborts: 0,
      maxAttempts,
      lastChance: false,
      expiresAt: periodic ? 0 : saved.anchorOrExpiry,
      anchor: periodic ? saved.anchorOrExpiry : 0,
      minInterval: saved.minInterval,
      lastDelay: 0,
      retryAfterTimeout: false,
      paceReserved: false,
      timerAt: undefined,
      joined: ++this.#joinCounter,
    };
    this.#registrations.set(r.id, r);
    if (attempts > 0 && saved.delayUntil > now) {
      r.state = periodic ? "pending" : "waiting";
      r.timerAt = saved.delayUntil;
    } else {
      this.#consider(r, now);
    }
    return r.id;
  }

  resolved(id: RegistrationId, now: number): RegistrationState {
    this.#checkTime(now, "resolved");
    const r = this.#registration(id, "resolved");
    this.#latest = now;
    if (!r.resolved) {
      r.resolved = true;
      if (r.state === "pending" && r.timerAt === undefined && !this.#isParked(r)) this.#consider(r, now);
    }
    return r.state;
  }

  reregister(id: RegistrationId, now: number, minInterval = 0): RegistrationState {
    this.#checkTime(now, "reregister");
    const r = this.#registration(id, "reregister");
    // Contract: minInterval is validated for one-shot registrations too (where it is unused).
    if (!validInterval(minInterval)) this.#fail("BAD_ARGUMENT", "reregister");
    this.#latest = now;
    if (r.kind === "one-shot") {
      r.expiresAt = this.#policy.maxRetention > 0 ? now + this.#policy.maxRetention : 0;
      if (r.state === "firing") {
        r.state = "reregisteredWhileFiring";
      } else if (r.state === "waiting" && this.#policy.reregisterBypassesBackoff === 1) {
        r.timerAt = undefined;
        r.state = "pending";
        this.#consider(r, now);
      }
    } else if (minInterval !== r.minInterval) {
      // Contract: a new interval replaces the registration (Chromium): a pending or suspended
      // one starts a new period now with no attempts; a firing one only takes the interval and
      // does not become reregisteredWhileFiring.
      r.minInterval = minInterval;
      if (r.state === "pending" || r.state === "suspended") {
        this.#resetAttempts(r);
        r.anchor = now;
      }
      if (r.state === "pending") {
        r.timerAt = undefined;
        r.paceReserved = false;
        if (this.#isParked(r)) this.#leaveParked(r);
        this.#consider(r, now);
      }
    } else if (r.state === "firing") {
      r.state = "reregisteredWhileFiring";
    }
    return r.state;
  }

  complete(id: RegistrationId, outcome: Outcome, now: number, retryAfter = 0): RegistrationState | "removed" {
    this.#checkTime(now, "complete");
    const r = this.#registration(id, "complete");
    if (!OUTCOMES.includes(outcome) || !validInterval(retryAfter)) {
      this.#fail("BAD_ARGUMENT", "complete");
    }
    if (!FIRING_STATES.includes(r.state)) this.#fail("WRONG_STATE", "complete");
    this.#latest = now;
    return this.#complete(r, outcome, retryAfter, now);
  }

  #complete(r: ModelRegistration, outcome: Outcome, retryAfter: number, now: number): RegistrationState | "removed" {
    r.timerAt = undefined;
    const periodic = r.kind === "periodic";
    const d = r.scope.domain;
    if (r.state === "reregisteredWhileFiring") {
      this.#resetAttempts(r);
      if (periodic) r.anchor = now;
      r.state = "pending";
      this.#consider(r, now);
      return r.state;
    }
    const wasRetry = r.attempts > 0;
    if (outcome === "success") {
      if (budgetEnabled(this.#policy)) refund(this.#policy, d, wasRetry ? retryCost(this.#policy, r) : this.#policy.budgetSuccessRefund, now);
      if (!periodic) {
        this.#free(r);
        return "removed";
      }
      this.#resetAttempts(r);
      r.anchor = now;
      r.scope.origin.lastPeriodicFire = now;
      r.scope.origin.hasFiredPeriodic = true;
      r.state = "pending";
      this.#consider(r, now);
      return r.state;
    }
    // Contract: an aborted attempt is free up to maxAbortedAttempts, never on a one-shot's last chance.
    const lastChance = !periodic && r.lastChance;
    // Contract: an undelivered event counts nothing at all.
    if (outcome === "undelivered" || (outcome === "aborted" && !lastChance && r.aborts < this.#policy.maxAbortedAttempts)) {
      if (outcome === "aborted") r.aborts++;
      if (wasRetry && budgetEnabled(this.#policy)) refund(this.#policy, d, retryCost(this.#policy, r), now);
      r.state = "pending";
      this.#consider(r, now);
      return r.state;
    }
    // failure, timeout, or an aborted attempt beyond the free ones: one more attempt counted
    r.attempts = Math.min(r.attempts + 1, 255);
    r.retryAfterTimeout = outcome === "timeout";
    if (lastChance) {
      const reason = r.attempts >= r.maxAttempts ? "attemptsExhausted" : "expired";
      this.#outputs.push({ type: "dropped", id: r.id, domain: r.scope.domain.id, reason });
      this.#free(r);
      return "removed";
    }
    if (periodic && r.attempts >= r.maxAttempts) {
      this.#resetAttempts(r);
      r.anchor = now;
      r.state = "pending";
      this.#consider(r, now);
      return r.state;
    }
    const delay = backoff(this.#policy, this.#random, r.attempts, r.lastDelay);
    r.lastDelay = delay;
    r.state = periodic ? "pending" : "waiting";
    r.timerAt = now + Math.max(delay, retryAfterWait(this.#policy, this.#random, retryAfter));
    return r.state;
  }

  unregister(id: RegistrationId, now: number): void {
    this.#checkTime(now, "unregister");
    const r = this.#registration(id, "unregister");
    this.#latest = now;
    this.#free(r);
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
      if (this.#isParked(r)) this.#leaveParked(r);
      r.state = "suspended";
    } else if (!suspended && r.state === "suspended") {
      r.state = "pending";
      this.#consider(r, now);
    }
    return r.state;
  }

  handleTimeout(now: number): void {
    this.#checkTime(now, "handleTimeout");
    this.#latest = now;
    for (let pops = 0; ; pops++) {
      if (pops > 1_000_000) throw new Error(`reference model: handleTimeout(${now}) does not terminate`);
      const r = this.#earliestTimer();
      if (r === undefined || r.timerAt! > now) return;
      r.timerAt = undefined;
      if (FIRING_STATES.includes(r.state)) {
        this.#outputs.push({ type: "timedOut", id: r.id, domain: r.scope.domain.id });
        this.#complete(r, "timeout", 0, now);
      } else {
        if (r.state === "waiting") r.state = "pending";
        this.#consider(r, now);
      }
    }
  }

  /** The heap's first entry in (time, slot) order, among those of `domain` if given. */
  #earliestTimer(domain?: ModelDomain): ModelRegistration | undefined {
    let best: ModelRegistration | undefined;
    for (const r of this.#registrations.values()) {
      if (r.timerAt === undefined || (domain !== undefined && r.scope.domain !== domain)) continue;
      if (best === undefined || r.timerAt < best.timerAt! || (r.timerAt === best.timerAt && r.slot < best.slot)) best = r;
    }
    return best;
  }

  // ---- Outputs and queries ----

  nextWakeup(): number {
    return this.#earliestTimer()?.timerAt ?? Infinity;
  }

  /** The earliest timer of the domain's registrations; a bad domain is UNKNOWN_DOMAIN. */
  nextWakeupOf(domain: DomainId): number {
    // Contract: a domain's deadline is the smallest timer among its own registrations,
    // +Infinity when none has one; nextWakeup() is the smallest over all domains.
    return this.#earliestTimer(this.#domain(domain, "nextWakeupOf"))?.timerAt ?? Infinity;
  }

  poll(): Decision | undefined {
    return this.#outputs.shift();
  }

  drain(): Decision[] {
    return this.#outputs.splice(0);
  }

  state(id: RegistrationId): RegistrationState {
    return this.#registration(id, "state").state;
  }

  has(id: RegistrationId): boolean {
    return this.#registrations.has(toI32(id));
  }

  persisted(id: RegistrationId): PersistedRegistration {
    const r = this.#registration(id, "persisted");
    const retrying = r.state === "waiting" || (r.state === "pending" && r.kind === "periodic" && r.attempts > 0);
    return {
      kind: r.kind,
      attempts: r.attempts,
      maxAttempts: r.maxAttempts,
      delayUntil: retrying && r.timerAt !== undefined ? r.timerAt : 0,
      anchorOrExpiry: r.kind === "periodic" ? r.anchor : r.expiresAt,
      minInterval: r.minInterval,
      unmeteredOnly: r.unmeteredOnly,
      allowOnBattery: r.allowOnBattery,
    };
  }

  get liveCount(): number {
    return this.#registrations.size;
  }
}

/** A fresh reference model, configured as `createScheduler(options)` configures the core. */
export function createReferenceScheduler(options: ModelOptions = {}): ReferenceScheduler {
  return new ReferenceScheduler(options);
}
