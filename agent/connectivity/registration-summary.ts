// What the agent tells its backend about its registrations on the summary topic: counts by
// kind and state, the next wake-up, and whether it thinks it is online and why. Published
// (retained) when it changes, a short while after the change so that a burst of changes
// gives one message, and again after every connect.

import type { Clock } from "../clock.js";
import type { RegistrationStatus } from "../agent.js";
import type { FusedState } from "./fusion.js";

export interface RegistrationSummary {
  online: boolean;
  reason: string;
  /** Counts by state, e.g. {"pending": 2, "waiting": 1}. */
  sync: Record<string, number>;
  periodicsync: Record<string, number>;
  /** ISO time of the next wake-up, null when idle. */
  nextWakeup: string | null;
}

export function summarize(registrations: RegistrationStatus[], nextWakeup: number, state: FusedState): RegistrationSummary {
  const summary: RegistrationSummary = {
    online: state.online,
    reason: state.reason,
    sync: {},
    periodicsync: {},
    nextWakeup: Number.isFinite(nextWakeup) ? new Date(nextWakeup).toISOString() : null,
  };
  for (const r of registrations) {
    const counts = r.kind === "one-shot" ? summary.sync : summary.periodicsync;
    counts[r.state] = (counts[r.state] ?? 0) + 1;
  }
  return summary;
}

/** Publishes the summary when it differs from the last one published, at most once per delayMs. */
export class SummaryPublisher {
  readonly #clock: Clock;
  readonly #delayMs: number;
  readonly #read: () => RegistrationSummary;
  readonly #publish: (payload: string) => boolean;
  #timer: unknown;
  #last: string | undefined;

  /** `publish` returns false when it could not send (not connected): the next connect sends it. */
  constructor(options: { clock: Clock; read: () => RegistrationSummary; publish: (payload: string) => boolean; delayMs?: number }) {
    this.#clock = options.clock;
    this.#read = options.read;
    this.#publish = options.publish;
    this.#delayMs = options.delayMs ?? 200;
  }

  /** Something the summary shows may have changed. */
  changed(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.after(this.#delayMs, () => {
      this.#timer = undefined;
      this.#send();
    });
  }

  /** A new connection: the retained summary may be another session's, so send ours. */
  connected(): void {
    this.#last = undefined;
    this.#send();
  }

  close(): void {
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
  }

  #send(): void {
    const payload = JSON.stringify(this.#read());
    if (payload === this.#last) return;
    if (this.#publish(payload)) this.#last = payload;
  }
}
