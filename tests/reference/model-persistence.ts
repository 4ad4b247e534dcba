// The persisted form of a reference registration (SEMANTICS.md "persisted" and "restore"):
// what a host saves of a live registration, and the fields a registration restored from
// such a form starts with. The host's face (model.ts) checks restore's argument rules first.

import type { PersistedRegistration } from "../../wasm-core/binding/scheduler.js";
import type { ModelRegistration, ModelScope } from "./model-entities.js";
import type { NewRegistration } from "./model-registry.js";

export function persistedForm(r: ModelRegistration): PersistedRegistration {
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

/** A restored registration's fields, from a saved form whose attempts are already integers. */
export function restoredFields(scope: ModelScope, saved: PersistedRegistration): NewRegistration {
  const periodic = saved.kind === "periodic";
  // Contract: a restored registration's next retry costs budgetRetryCost (whether the last
  // failure was a timeout is not persisted) and its lastDelay is 0.
  return {
    kind: periodic ? "periodic" : "one-shot",
    scope,
    resolved: true,
    unmeteredOnly: !!saved.unmeteredOnly,
    allowOnBattery: !!saved.allowOnBattery,
    attempts: saved.attempts,
    maxAttempts: saved.maxAttempts,
    expiresAt: periodic ? 0 : saved.anchorOrExpiry,
    anchor: periodic ? saved.anchorOrExpiry : 0,
    minInterval: saved.minInterval,
  };
}
