// The reference model's state machine (SEMANTICS.md "Considering a registration", the
// outcomes of "complete" and the release of parked registrations): what happens to a
// registration once an input has been checked. The host's face (model.ts) validates every
// argument and then applies these, so none of them can fail.

import type { Decision, Outcome, RegistrationState } from "../../wasm-core/binding/codes.js";
import { MAX_TIME, presetPolicy, type RawPolicy } from "./policy-rules.js";
import { Xoshiro128 } from "./random.js";
import type { ModelRegistration, ModelScope } from "./model-entities.js";
import { ModelRegistry } from "./model-registry.js";
import { backoff, budgetEnabled, periodicDue, refill, refund, retryAfterWait, retryCost } from "./model-timing.js";
import { afterOutage, reservePoint } from "./model-pace.js";

export const FIRING_STATES: readonly RegistrationState[] = ["firing", "reregisteredWhileFiring"];

export abstract class ModelTransitions {
  protected rawPolicy: RawPolicy = presetPolicy("chromium");
  protected readonly random = new Xoshiro128();
  protected readonly registry = new ModelRegistry();
  protected readonly outputs: Decision[] = [];

  protected effectivelyOnline(scope: ModelScope): boolean {
    return scope.domain.online && scope.ownOnline;
  }

  #eligible(r: ModelRegistration): boolean {
    const d = r.scope.domain;
    if (!this.effectivelyOnline(r.scope)) return false;
    if (r.unmeteredOnly && d.metered) return false;
    if (!r.allowOnBattery && d.onBattery) return false;
    return true;
  }

  /** Overridable so a test can prove that a wrong rule is caught. */
  protected isLastChance(r: Readonly<ModelRegistration>, now: number): boolean {
    return r.kind === "one-shot" && (r.attempts + 1 >= r.maxAttempts || (r.expiresAt > 0 && now >= r.expiresAt));
  }

  /** SEMANTICS.md "Considering a registration": a pending one in neither heap nor list. */
  protected consider(r: ModelRegistration, now: number): void {
    if (!r.resolved) return;
    // Contract: a pace reservation is used up by the look that follows its timer, whatever
    // that look decides (fire, park, wait for the budget).
    const reserved = r.paceReserved;
    r.paceReserved = false;
    // Contract: for a pending periodic entry popped by handleTimeout, the periodic due time
    // is computed afresh: if the scope's last periodic fire, its min gap or the policy moved
    // it later, it goes back to the heap.
    if (r.kind === "periodic" && r.attempts === 0) {
      const due = periodicDue(this.rawPolicy, r);
      if (due > now) {
        r.timerAt = due;
        return;
      }
    }
    if (!this.#eligible(r)) {
      r.scope.parked.push(r);
      return;
    }
    if (r.attempts > 0 && budgetEnabled(this.rawPolicy)) {
      const cost = retryCost(this.rawPolicy, r);
      const tokens = refill(this.rawPolicy, r.scope.domain, now);
      if (tokens < cost) {
        const wait = Math.min(MAX_TIME, ((cost - tokens) / this.rawPolicy.budgetRefillPerSecond) * 1000);
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
      const at = reservePoint(d, now);
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
    if (r.attempts > 0 && budgetEnabled(this.rawPolicy)) {
      const d = r.scope.domain;
      d.tokens = refill(this.rawPolicy, d, now) - retryCost(this.rawPolicy, r);
    }
    r.state = "firing";
    r.lastChance = this.isLastChance(r, now);
    r.timerAt = now + (r.lastChance ? this.rawPolicy.lastChanceEventTimeout : this.rawPolicy.eventTimeout);
    this.outputs.push({ type: "fire", id: r.id, domain: r.scope.domain.id, lastChance: r.lastChance });
  }

  protected resetAttempts(r: ModelRegistration): void {
    r.attempts = 0;
    r.aborts = 0;
    r.lastDelay = 0;
  }

  /** Release a scope's parked registrations that are now eligible. */
  protected unpark(scope: ModelScope, now: number, onlineEdge: boolean): void {
    if (!this.effectivelyOnline(scope)) return;
    const p = this.rawPolicy;
    const d = scope.domain;
    let spread = 0;
    // Contract: a paced domain skips the reconnect spread; with something parked, its next
    // point moves to a random point within one interval of the online edge (one draw), never earlier.
    if (onlineEdge && d.paceInterval > 0) {
      if (scope.parked.length > 0) afterOutage(d, now, this.random);
    } else if (onlineEdge && p.reconnectSpreadRatio > 0) {
      const outage = scope.offlineSince === undefined ? 0 : now - scope.offlineSince;
      spread = Math.min(p.reconnectSpreadMax, outage * p.reconnectSpreadRatio);
    }
    for (const r of [...scope.parked]) {
      if (!this.#eligible(r)) continue;
      this.registry.leaveParked(r);
      const offset = spread > 0 ? spread * this.random.draw() : 0;
      if (offset > 0) r.timerAt = now + offset;
      else this.consider(r, now);
    }
  }

  /** The outcome of a firing registration's event (SEMANTICS.md "complete"), or its timeout. */
  protected applyOutcome(r: ModelRegistration, outcome: Outcome, retryAfter: number, now: number): RegistrationState | "removed" {
    r.timerAt = undefined;
    const periodic = r.kind === "periodic";
    const d = r.scope.domain;
    if (r.state === "reregisteredWhileFiring") {
      this.resetAttempts(r);
      if (periodic) r.anchor = now;
      r.state = "pending";
      this.consider(r, now);
      return r.state;
    }
    const wasRetry = r.attempts > 0;
    if (outcome === "success") {
      if (budgetEnabled(this.rawPolicy)) refund(this.rawPolicy, d, wasRetry ? retryCost(this.rawPolicy, r) : this.rawPolicy.budgetSuccessRefund, now);
      if (!periodic) {
        this.registry.free(r);
        return "removed";
      }
      this.resetAttempts(r);
      r.anchor = now;
      r.scope.origin.lastPeriodicFire = now;
      r.scope.origin.hasFiredPeriodic = true;
      r.state = "pending";
      this.consider(r, now);
      return r.state;
    }
    // Contract: an aborted attempt is free up to maxAbortedAttempts, never on a one-shot's last chance.
    const lastChance = !periodic && r.lastChance;
    // Contract: an undelivered event counts nothing at all.
    if (outcome === "undelivered" || (outcome === "aborted" && !lastChance && r.aborts < this.rawPolicy.maxAbortedAttempts)) {
      if (outcome === "aborted") r.aborts++;
      if (wasRetry && budgetEnabled(this.rawPolicy)) refund(this.rawPolicy, d, retryCost(this.rawPolicy, r), now);
      r.state = "pending";
      this.consider(r, now);
      return r.state;
    }
    // failure, timeout, or an aborted attempt beyond the free ones: one more attempt counted
    r.attempts = Math.min(r.attempts + 1, 255);
    r.retryAfterTimeout = outcome === "timeout";
    if (lastChance) {
      const reason = r.attempts >= r.maxAttempts ? "attemptsExhausted" : "expired";
      this.outputs.push({ type: "dropped", id: r.id, domain: r.scope.domain.id, reason });
      this.registry.free(r);
      return "removed";
    }
    if (periodic && r.attempts >= r.maxAttempts) {
      this.resetAttempts(r);
      r.anchor = now;
      r.state = "pending";
      this.consider(r, now);
      return r.state;
    }
    const delay = backoff(this.rawPolicy, this.random, r.attempts, r.lastDelay);
    r.lastDelay = delay;
    r.state = periodic ? "pending" : "waiting";
    r.timerAt = now + Math.max(delay, retryAfterWait(this.rawPolicy, this.random, retryAfter));
    return r.state;
  }
}
