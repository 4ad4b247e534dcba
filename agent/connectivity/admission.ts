// The backend's admission topic: what it can take, retained, beside its Sparkplug-style STATE.
// The payload comes from another program and may be anything: it is parsed without throwing,
// and a bad, cleared or stale one makes the agent fall back to its own pacing (the policy's
// reconnect spread and back-off) with one log line, never a crash.
//
//   {"rate": 25, "devices": 400, "timestamp": 1767000000000, "ttlMs": 60000}
//   {"perDevice": 0.0625, "slotAt": 1767000000250, "timestamp": 1767000000000}
//
// `rate` requests/s for the whole fleet shared by `devices` devices (the backend's count of
// those with work waiting, or its fleet size), or `perDevice` directly; `timestamp` in ms since
// the epoch, when the backend published it; `ttlMs` how long it holds (default: the topic's).
// `slotAt` (optional, on a topic of the device's own): a wall-clock time of one of this
// device's slots; its requests then go at slotAt + k / perDevice only, so that a backend
// handing its devices interleaved slots gets an even load, not a Poisson one.

import type { Clock } from "../clock.js";
import { excerpt, jsonObject, payloadText } from "./status-payload.js";

export type Admission =
  | { ok: true; perDevice: number; slotAt: number | undefined; timestamp: number; ttlMs: number | undefined }
  | { ok: true; perDevice: undefined }
  | { ok: false; problem: string };

const positive = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

export function parseAdmission(payload: Uint8Array | string): Admission {
  if (payload.length === 0) return { ok: true, perDevice: undefined };
  const body = payloadText(payload);
  if (typeof body !== "string") return { ok: false, ...body };
  const json = jsonObject(body.trim());
  if (typeof json === "string") return { ok: false, problem: json };
  const { rate, devices, perDevice, slotAt, timestamp, ttlMs } = json;
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp) || timestamp < 0) {
    return { ok: false, problem: `"timestamp" must be a non-negative number of ms since the epoch` };
  }
  if (ttlMs !== undefined && !positive(ttlMs)) return { ok: false, problem: `"ttlMs" must be a positive number of ms` };
  if (slotAt !== undefined && (typeof slotAt !== "number" || !Number.isFinite(slotAt) || slotAt < 0)) {
    return { ok: false, problem: `"slotAt" must be a non-negative number of ms since the epoch` };
  }
  let share: number;
  if (perDevice !== undefined) {
    if (!positive(perDevice)) return { ok: false, problem: `"perDevice" must be a positive number of requests per second` };
    share = perDevice;
  } else {
    if (!positive(rate)) return { ok: false, problem: `"rate" (requests per second) or "perDevice" must be a positive number` };
    if (!Number.isInteger(devices) || (devices as number) < 1) return { ok: false, problem: `"devices" must be a whole number of at least 1` };
    share = rate / (devices as number);
  }
  return { ok: true, perDevice: share, slotAt, timestamp, ttlMs };
}

export interface AdmissionFollowerOptions {
  clock: Clock;
  /** How long an admission without its own `ttlMs` holds. Default 60 s. */
  ttlMs?: number;
  /** The device's share in requests/s, or undefined: fall back to the policy's own pacing. */
  apply: (requestsPerSecond: number | undefined, slotAt?: number) => void;
  log?: (message: string) => void;
  /** For log lines. */
  topic: string;
}

/** Follows the admission topic's messages: applies each good one until it goes stale. */
export class AdmissionFollower {
  readonly #options: AdmissionFollowerOptions;
  #expiry: unknown;
  #applied: number | undefined;
  #slotAt: number | undefined;
  #lastTimestamp = -1;

  constructor(options: AdmissionFollowerOptions) {
    this.#options = options;
  }

  /** The share in force (requests/s), undefined while falling back. */
  get perDevice(): number | undefined {
    return this.#applied;
  }

  /** A message on the topic, as it came. */
  message(payload: Uint8Array | string): void {
    const admission = parseAdmission(payload);
    if (!admission.ok) return this.#fallBack(`ignored admission on ${this.#options.topic}: ${admission.problem}: ${excerpt(payload)}`);
    this.follow(admission);
  }

  /**
   * A message already parsed: a publisher that hands one payload to many followers in one
   * process (the simulator's backend) parses it once.
   */
  follow(admission: Admission): void {
    const { clock, topic } = this.#options;
    if (!admission.ok) return this.#fallBack(`ignored admission on ${topic}: ${admission.problem}`);
    if (admission.perDevice === undefined) return this.#fallBack(`admission on ${topic} cleared`);
    if (admission.timestamp < this.#lastTimestamp) {
      this.#options.log?.(`mqtt: ignored admission on ${topic}: timestamp ${admission.timestamp} is older than the last seen ${this.#lastTimestamp}`);
      return;
    }
    this.#lastTimestamp = admission.timestamp;
    const left = (admission.ttlMs ?? this.#options.ttlMs ?? 60_000) - Math.max(0, clock.wall() - admission.timestamp);
    if (left <= 0) return this.#fallBack(`admission on ${topic} is stale (published ${new Date(admission.timestamp).toISOString()})`);
    this.#set(admission.perDevice, admission.slotAt);
    this.#clearExpiry();
    this.#expiry = clock.after(left, () => {
      this.#expiry = undefined;
      this.#fallBack(`admission on ${topic} went stale`);
    });
  }

  close(): void {
    this.#clearExpiry();
  }

  #fallBack(line: string): void {
    this.#clearExpiry();
    this.#options.log?.(`mqtt: ${line}; pacing falls back to the policy`);
    this.#set(undefined);
  }

  #set(perDevice: number | undefined, slotAt?: number): void {
    if (perDevice === this.#applied && slotAt === this.#slotAt) return;
    this.#applied = perDevice;
    this.#slotAt = slotAt;
    this.#options.apply(perDevice, slotAt);
  }

  #clearExpiry(): void {
    if (this.#expiry !== undefined) this.#options.clock.cancel(this.#expiry);
    this.#expiry = undefined;
  }
}
