// The numeric codes of the raw core module, named. The order of each list is the core's
// numbering (wasm-core/src/errors.ts, registrations.ts, scheduler.ts, outputs.ts).

export const REGISTRATION_STATES = ["pending", "waiting", "firing", "reregisteredWhileFiring", "suspended"] as const;
/** The spec's registration states, plus `suspended` for periodic sync. */
export type RegistrationState = (typeof REGISTRATION_STATES)[number];

export const OUTCOMES = ["success", "failure", "timeout", "aborted", "undelivered"] as const;
/**
 * How a dispatched event ended: `success` (waitUntil fulfilled), `failure` (a listener threw
 * or waitUntil rejected), `timeout` (the host's own limit), `aborted` (connectivity dropped
 * during the event: no attempt is counted, up to the policy's maxAbortedAttempts),
 * `undelivered` (no active worker took it: nothing is counted).
 */
export type Outcome = (typeof OUTCOMES)[number];

export const ERROR_CODES = [
  "UNKNOWN_ID",
  "UNKNOWN_SCOPE",
  "UNKNOWN_DOMAIN",
  "BAD_TIME",
  "TIME_WENT_BACKWARDS",
  "BAD_ARGUMENT",
  "WRONG_STATE",
  "CAPACITY",
  "BAD_POLICY",
] as const;
export type SchedulerErrorCode = (typeof ERROR_CODES)[number];

export const DROP_REASONS = ["attemptsExhausted", "expired"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

declare const brand: unique symbol;
/** A number that is one kind of id: passing a scope where a registration is meant does not compile. */
type Id<Kind extends string> = number & { readonly [brand]: Kind };
/** A domain of the core (a device, a browser profile). */
export type DomainId = Id<"DomainId">;
/** A scope (a service worker registration) of a domain. */
export type ScopeId = Id<"ScopeId">;
/** A registration (one tag of one kind in one scope). */
export type RegistrationId = Id<"RegistrationId">;

/**
 * A decision of the core, drained by the host after each input. `domain` is the domain of
 * the registration it is about, as it was when the decision was made, so a host serving
 * many domains from one core can route it.
 */
export type Decision =
  | { type: "fire"; id: RegistrationId; domain: DomainId; lastChance: boolean }
  | { type: "timedOut"; id: RegistrationId; domain: DomainId }
  | { type: "dropped"; id: RegistrationId; domain: DomainId; reason: DropReason };

/** Thrown by the typed Scheduler when the core rejects a call; nothing changed. */
export class SchedulerError extends Error {
  readonly code: SchedulerErrorCode;
  constructor(code: SchedulerErrorCode, operation: string) {
    super(`${operation}: ${code}`);
    this.name = "SchedulerError";
    this.code = code;
  }
}

export function errorName(code: number): SchedulerErrorCode {
  return ERROR_CODES[-code - 1] ?? "BAD_ARGUMENT";
}

/** Unpack `poll()`'s id * 16 + code, with `polledDomain()`'s domain. */
export function decodeDecision(packed: number, domain: DomainId): Decision {
  const code = packed % 16;
  const id = ((packed - code) / 16) as RegistrationId;
  const kind = code & 3;
  const arg = code >> 2;
  if (kind === 1) return { type: "fire", id, domain, lastChance: arg === 1 };
  if (kind === 2) return { type: "timedOut", id, domain };
  return { type: "dropped", id, domain, reason: DROP_REASONS[arg - 1] ?? "attemptsExhausted" };
}
