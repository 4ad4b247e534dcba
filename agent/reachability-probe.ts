// An HTTP reachability probe of the device's own backend: the path that matters, unlike
// navigator.onLine. Success is the expected status within the timeout; while it fails it
// probes with a growing interval (up to maxIntervalMs), so a dead uplink costs little.

import type { Clock } from "./clock.js";

export interface ProbeOptions {
  url: string;
  /** Status that proves reachability (a captive portal answers 200 or a redirect). Default 204. */
  expectedStatus?: number;
  timeoutMs?: number;
  /** Interval between probes while reachable. */
  intervalMs?: number;
  /** Cap of the back-off between probes while unreachable. */
  maxIntervalMs?: number;
}

export class ReachabilityProbe {
  readonly #options: Required<ProbeOptions>;
  readonly #clock: Clock;
  readonly #report: (reachable: boolean) => void;
  #timer: unknown;
  #failures = 0;
  #stopped = false;
  #reachable: boolean | undefined;

  constructor(options: ProbeOptions, clock: Clock, report: (reachable: boolean) => void) {
    this.#options = { expectedStatus: 204, timeoutMs: 5000, intervalMs: 30_000, maxIntervalMs: 300_000, ...options };
    this.#clock = clock;
    this.#report = report;
  }

  /** The last verdict; undefined before the first probe finished. */
  get reachable(): boolean | undefined {
    return this.#reachable;
  }

  start(): void {
    void this.probeNow();
  }

  /** Probe at once (another signal changed) and re-arm the schedule. */
  async probeNow(): Promise<boolean> {
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    const ok = await this.#probe();
    if (this.#stopped) return ok;
    this.#failures = ok ? 0 : this.#failures + 1;
    if (ok !== this.#reachable) {
      this.#reachable = ok;
      this.#report(ok);
    }
    const { intervalMs, maxIntervalMs } = this.#options;
    const wait = ok ? intervalMs : Math.min(maxIntervalMs, 1000 * 2 ** Math.min(this.#failures - 1, 20));
    this.#timer = this.#clock.after(wait, () => void this.probeNow());
    return ok;
  }

  async #probe(): Promise<boolean> {
    const controller = new AbortController();
    const timeout = this.#clock.after(this.#options.timeoutMs, () => controller.abort());
    try {
      const response = await fetch(this.#options.url, { method: "GET", redirect: "manual", signal: controller.signal, cache: "no-store" });
      await response.body?.cancel();
      return response.status === this.#options.expectedStatus;
    } catch {
      return false;
    } finally {
      this.#clock.cancel(timeout);
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
  }
}
