// The typed face of the raw core module. It instantiates the module directly (no component
// glue: that costs microseconds per call, the raw module nanoseconds) and imports nothing
// from Node, so the same class runs in a page, a worker, Node and the simulator.

import {
  REGISTRATION_STATES,
  OUTCOMES,
  SchedulerError,
  errorName,
  decodeDecision,
  type RegistrationState,
  type Outcome,
  type Decision,
  type DomainId,
  type ScopeId,
  type RegistrationId,
} from "./codes.js";
import { PRESETS, POLICY_FIELDS, encodePolicyValue, decodePolicyValue, overrideOrder, type Policy, type Preset } from "./policy.js";

/** The raw exports of build/scheduler.wasm. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  seed(lo: number, hi: number): void;
  usePreset(preset: number): number;
  setPolicy(field: number, value: number): number;
  getPolicy(field: number): number;
  createDomain(): number;
  createScope(domain: number): number;
  setDomainConditions(domain: number, flags: number, now: number): number;
  setDomainPace(domain: number, interval: number, phase: number, now: number): number;
  setScopeOnline(scope: number, online: number, now: number): number;
  setScopeMinGap(scope: number, ms: number): number;
  joinOrigin(scope: number, other: number): number;
  removeScope(scope: number, now: number): number;
  register(scope: number, kind: number, flags: number, minInterval: number, now: number): number;
  restore(
    scope: number,
    kind: number,
    flags: number,
    attempts: number,
    maxAttempts: number,
    delayUntil: number,
    t0: number,
    minInterval: number,
    now: number,
  ): number;
  resolved(id: number, now: number): number;
  reregister(id: number, minInterval: number, now: number): number;
  complete(id: number, outcome: number, retryAfter: number, now: number): number;
  unregister(id: number, now: number): number;
  setSuspended(id: number, suspended: number, now: number): number;
  handleTimeout(now: number): number;
  nextWakeup(): number;
  domainWakeup(domain: number): number;
  poll(): number;
  polledDomain(): number;
  pendingOutputs(): number;
  liveCount(): number;
  memoryInUse(): number;
  stateOf(id: number): number;
  kindOf(id: number): number;
  attemptsOf(id: number): number;
  maxAttemptsOf(id: number): number;
  flagsOfRegistration(id: number): number;
  delayUntilOf(id: number): number;
  anchorOrExpiryOf(id: number): number;
  minIntervalOf(id: number): number;
}

/** Network and power conditions of a domain. */
export interface Conditions {
  online: boolean;
  metered?: boolean;
  onBattery?: boolean;
}

export interface RegisterOptions {
  /** Present for a periodic registration. */
  periodic?: { minInterval: number };
  /** Fire only on an unmetered network. */
  unmeteredOnly?: boolean;
  /** Fire on battery power too (default true). */
  allowOnBattery?: boolean;
}

/** What a host persists to rebuild a registration after a restart (firing is never stored). */
export interface PersistedRegistration {
  kind: "one-shot" | "periodic";
  attempts: number;
  maxAttempts: number;
  /** End of a back-off, in the core's time; 0 when none. */
  delayUntil: number;
  /** One-shot: expiry time (0 = never). Periodic: anchor time. */
  anchorOrExpiry: number;
  minInterval: number;
  unmeteredOnly: boolean;
  allowOnBattery: boolean;
}

export interface SchedulerOptions {
  preset?: Preset;
  policy?: Partial<Policy>;
  /** Seed of the core's random source (jitter, spread); the same seed gives the same decisions. */
  seed?: number | readonly [number, number];
}

/** Anything WebAssembly.instantiate accepts, or a fetch Response for streaming compilation. */
export type CoreSource = BufferSource | WebAssembly.Module | Response | PromiseLike<Response>;

function isResponse(source: unknown): source is Response | PromiseLike<Response> {
  return typeof source === "object" && source !== null && ("then" in source || "arrayBuffer" in source);
}

/**
 * A sans-I/O Background Sync scheduler. Feed it inputs with the current monotonic time in
 * milliseconds, then drain its decisions with {@link Scheduler.poll} or
 * {@link Scheduler.drain}, and call {@link Scheduler.handleTimeout} at
 * {@link Scheduler.nextWakeup}.
 */
export class Scheduler {
  readonly #core: CoreExports;

  private constructor(core: CoreExports) {
    this.#core = core;
  }

  /** Instantiate a fresh core (each instance is independent) and apply the options. */
  static async instantiate(source: CoreSource, options: SchedulerOptions = {}): Promise<Scheduler> {
    let instance: WebAssembly.Instance;
    if (source instanceof WebAssembly.Module) {
      instance = await WebAssembly.instantiate(source);
    } else if (isResponse(source)) {
      const response = await source;
      instance = (await WebAssembly.instantiate(await response.arrayBuffer())).instance;
    } else {
      instance = (await WebAssembly.instantiate(source)).instance;
    }
    const scheduler = new Scheduler(instance.exports as unknown as CoreExports);
    scheduler.usePreset(options.preset ?? "chromium");
    if (options.policy) scheduler.setPolicy(options.policy);
    if (options.seed !== undefined) scheduler.seed(options.seed);
    return scheduler;
  }

  /** The raw exports, for hosts that need the last nanosecond. */
  get raw(): CoreExports {
    return this.#core;
  }

  #check(result: number, operation: string): number {
    if (result < 0) throw new SchedulerError(errorName(result), operation);
    return result;
  }

  seed(seed: number | readonly [number, number]): void {
    const [lo, hi] = typeof seed === "number" ? [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0] : seed;
    this.#core.seed(lo >>> 0, hi >>> 0);
  }

  usePreset(preset: Preset): void {
    const index = PRESETS.indexOf(preset);
    if (index < 0) throw new SchedulerError("BAD_POLICY", `usePreset(${String(preset)})`);
    this.#core.usePreset(index);
  }

  /** Apply overrides; if one is refused, the policy is rolled back and nothing changes. */
  setPolicy(overrides: Partial<Policy>): void {
    const before = this.policy();
    for (const field of overrideOrder(overrides)) {
      if (!this.#setField(field, overrides[field] as Policy[keyof Policy])) {
        for (const name of overrideOrder(before)) this.#setField(name, before[name]);
        throw new SchedulerError("BAD_POLICY", `setPolicy(${field}=${String(overrides[field])})`);
      }
    }
  }

  #setField(field: keyof Policy, value: Policy[keyof Policy]): boolean {
    const index = POLICY_FIELDS.indexOf(field);
    return index >= 0 && this.#core.setPolicy(index, encodePolicyValue(field, value)) === 0;
  }

  policy(): Policy {
    const out: Record<string, unknown> = {};
    POLICY_FIELDS.forEach((field, index) => {
      out[field] = decodePolicyValue(field, this.#core.getPolicy(index));
    });
    return out as unknown as Policy;
  }

  createDomain(): DomainId {
    return this.#check(this.#core.createDomain(), "createDomain") as DomainId;
  }

  createScope(domain: DomainId): ScopeId {
    return this.#check(this.#core.createScope(domain), "createScope") as ScopeId;
  }

  setConditions(domain: DomainId, conditions: Conditions, now: number): void {
    const flags = (conditions.online ? 1 : 0) | (conditions.metered ? 2 : 0) | (conditions.onBattery ? 4 : 0);
    this.#check(this.#core.setDomainConditions(domain, flags, now), "setConditions");
  }

  /**
   * At most one fire per `intervalMs` in the domain (0: no pace), e.g. the device's share of
   * what the backend says it can take: 1000 / (requests per second). Registrations due
   * sooner wait for their point of the pace; after an outage the first point is drawn within
   * one interval. With a `phase` in [0, intervalMs) the fires fall on the grid phase + k ×
   * intervalMs (in this core's time base) only: the slot a backend gave the device, so that
   * a fleet interleaves exactly. See SEMANTICS.md "Pace".
   */
  setPace(domain: DomainId, intervalMs: number, now: number, phase = -1): void {
    this.#check(this.#core.setDomainPace(domain, intervalMs, phase, now), "setPace");
  }

  /** A scope's own reachability (the spec's stricter, origin-specific "online"). */
  setScopeOnline(scope: ScopeId, online: boolean, now: number): void {
    this.#check(this.#core.setScopeOnline(scope, online ? 1 : 0, now), "setScopeOnline");
  }

  setScopeMinGap(scope: ScopeId, ms: number): void {
    this.#check(this.#core.setScopeMinGap(scope, ms), "setScopeMinGap");
  }

  /**
   * `scope` and `other` are service worker registrations of one origin: from now on they share
   * the periodic timing (minimum gap, last periodic event) that the spec keeps per origin.
   */
  joinOrigin(scope: ScopeId, other: ScopeId): void {
    this.#check(this.#core.joinOrigin(scope, other), "joinOrigin");
  }

  /** Forget a scope (its service worker registration was unregistered) and all it held. */
  removeScope(scope: ScopeId, now: number): number {
    return this.#check(this.#core.removeScope(scope, now), "removeScope");
  }

  /** A new registration, pending until {@link Scheduler.resolved}. Returns its id. */
  register(scope: ScopeId, now: number, options: RegisterOptions = {}): RegistrationId {
    const flags = (options.unmeteredOnly ? 1 : 0) | (options.allowOnBattery === false ? 2 : 0);
    const kind = options.periodic ? 1 : 0;
    return this.#check(this.#core.register(scope, kind, flags, options.periodic?.minInterval ?? 0, now), "register") as RegistrationId;
  }

  restore(scope: ScopeId, saved: PersistedRegistration, now: number): RegistrationId {
    const flags = (saved.unmeteredOnly ? 1 : 0) | (saved.allowOnBattery ? 0 : 2);
    return this.#check(
      this.#core.restore(
        scope,
        saved.kind === "periodic" ? 1 : 0,
        flags,
        saved.attempts,
        saved.maxAttempts,
        saved.delayUntil,
        saved.anchorOrExpiry,
        saved.minInterval,
        now,
      ),
      "restore",
    ) as RegistrationId;
  }

  /** The register() promise resolved: the registration may fire from now on. */
  resolved(id: RegistrationId, now: number): RegistrationState {
    return REGISTRATION_STATES[this.#check(this.#core.resolved(id, now), "resolved")]!;
  }

  /** The same tag registered again (coalescing). */
  reregister(id: RegistrationId, now: number, minInterval = 0): RegistrationState {
    return REGISTRATION_STATES[this.#check(this.#core.reregister(id, minInterval, now), "reregister")]!;
  }

  /** Report how a dispatched event ended; "removed" when the registration is gone. */
  complete(id: RegistrationId, outcome: Outcome, now: number, retryAfter = 0): RegistrationState | "removed" {
    const state = this.#check(this.#core.complete(id, OUTCOMES.indexOf(outcome), retryAfter, now), "complete");
    return REGISTRATION_STATES[state] ?? "removed";
  }

  unregister(id: RegistrationId, now: number): void {
    this.#check(this.#core.unregister(id, now), "unregister");
  }

  setSuspended(id: RegistrationId, suspended: boolean, now: number): RegistrationState {
    return REGISTRATION_STATES[this.#check(this.#core.setSuspended(id, suspended ? 1 : 0, now), "setSuspended")]!;
  }

  /** Process every timer due at or before `now`. */
  handleTimeout(now: number): void {
    this.#check(this.#core.handleTimeout(now), "handleTimeout");
  }

  /** When to call handleTimeout next; Infinity when nothing is scheduled. */
  nextWakeup(): number {
    return this.#core.nextWakeup();
  }

  /** When a registration of `domain` next needs handleTimeout; Infinity when none does. */
  nextWakeupOf(domain: DomainId): number {
    return this.#check(this.#core.domainWakeup(domain), "nextWakeupOf");
  }

  /** The oldest undrained decision, if any, naming its registration's domain. */
  poll(): Decision | undefined {
    const packed = this.#core.poll();
    return packed === 0 ? undefined : decodeDecision(packed, this.#core.polledDomain() as DomainId);
  }

  drain(): Decision[] {
    const out: Decision[] = [];
    for (let packed = this.#core.poll(); packed !== 0; packed = this.#core.poll()) {
      out.push(decodeDecision(packed, this.#core.polledDomain() as DomainId));
    }
    return out;
  }

  state(id: RegistrationId): RegistrationState {
    return REGISTRATION_STATES[this.#check(this.#core.stateOf(id), "state")]!;
  }

  has(id: RegistrationId): boolean {
    return this.#core.stateOf(id) >= 0;
  }

  persisted(id: RegistrationId): PersistedRegistration {
    const kind = this.#check(this.#core.kindOf(id), "persisted");
    const flags = this.#core.flagsOfRegistration(id);
    return {
      kind: kind === 1 ? "periodic" : "one-shot",
      attempts: this.#core.attemptsOf(id),
      maxAttempts: this.#core.maxAttemptsOf(id),
      delayUntil: this.#core.delayUntilOf(id),
      anchorOrExpiry: this.#core.anchorOrExpiryOf(id),
      minInterval: this.#core.minIntervalOf(id),
      unmeteredOnly: (flags & 1) !== 0,
      allowOnBattery: (flags & 2) === 0,
    };
  }

  get liveCount(): number {
    return this.#core.liveCount();
  }

  /** Bytes of linear memory the core's tables use. */
  get memoryInUse(): number {
    return this.#core.memoryInUse();
  }
}
