// Time from reconnect to first attempt, for one device: armed when the link comes back with
// work waiting, measured by the first attempt that carries such work, and counted as missed
// when the link goes again, or the run ends, before any attempt.

import type { PolicyMetrics } from "./metrics.js";
import type { Message } from "./outbox.js";

export class ReconnectWatch {
  readonly #metrics: PolicyMetrics;
  #at = NaN;

  constructor(metrics: PolicyMetrics) {
    this.#metrics = metrics;
  }

  /** The link came back; `waiting`: the device has work queued. */
  reconnected(now: number, waiting: boolean): void {
    if (waiting) this.#at = now;
  }

  /** The run ended: a reconnect still waiting for its attempt had none. */
  finish(): void {
    this.unreachable();
  }

  unreachable(): void {
    if (Number.isNaN(this.#at)) return;
    this.#metrics.reconnectMissed++;
    this.#at = NaN;
  }

  /** An attempt starts, sending `batch` (all of the device's older work when omitted). */
  attempted(now: number, batch?: readonly Message[]): void {
    if (Number.isNaN(this.#at)) return;
    const since = this.#at;
    if (batch && !batch.some((m) => m.createdAt <= since)) return;
    this.#metrics.reconnect.add(now - this.#at);
    this.#at = NaN;
  }
}
