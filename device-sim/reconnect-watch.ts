// Time from reconnect to first attempt, for one device: armed when the link comes back with
// work waiting, measured by the first attempt that carries such work, and counted as missed
// when the link goes again, or the run ends, before any attempt.

import type { PolicyMetrics } from "./metrics.js";

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

  /** An attempt starts; `carriesOldWork(at)` says whether it sends work queued by time `at`. */
  attempted(now: number, carriesOldWork: (at: number) => boolean = () => true): void {
    if (Number.isNaN(this.#at) || !carriesOldWork(this.#at)) return;
    this.#metrics.reconnect.add(now - this.#at);
    this.#at = NaN;
  }
}
