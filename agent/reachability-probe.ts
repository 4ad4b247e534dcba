// An HTTP reachability probe of the device's own backend: the path that matters, unlike
// navigator.onLine. Success is the expected status (and, when set, the expected body: a
// captive portal answers 200 with its login page) within the time limit. While it fails it
// probes with a growing interval (up to maxIntervalMs), so a dead uplink costs little; when
// another signal changes it probes at once (at most one triggered probe per minTriggerGapMs,
// so a flapping signal cannot turn it into a request storm).

import type { Clock } from "./clock.js";

export interface ProbeOptions {
  url: string;
  /** Status that proves reachability. Default 204, or 200 when expectedBody is set. */
  expectedStatus?: number;
  /** The body that proves reachability (compared without surrounding white space), e.g. "OK". */
  expectedBody?: string;
  timeoutMs?: number;
  /** Interval between probes while reachable. */
  intervalMs?: number;
  /** Cap of the back-off between probes while unreachable. */
  maxIntervalMs?: number;
  /** Least time between the starts of two probes that trigger() asked for. Default 1000 ms. */
  minTriggerGapMs?: number;
}

/** A body longer than this is not the expected one (and is not read further). */
const MAX_BODY_BYTES = 65_536;

export class ReachabilityProbe {
  readonly #options: Required<Omit<ProbeOptions, "expectedBody">> & { expectedBody: string | undefined };
  readonly #clock: Clock;
  readonly #report: (reachable: boolean) => void;
  #timer: unknown;
  #timerAt = Infinity;
  #failures = 0;
  #stopped = false;
  #reachable: boolean | undefined;
  #inFlight: Promise<boolean> | undefined;
  /** Something changed while a probe was in flight: its answer may predate the change. */
  #again = false;
  #lastStart = -Infinity;

  constructor(options: ProbeOptions, clock: Clock, report: (reachable: boolean) => void) {
    this.#options = {
      expectedStatus: options.expectedBody === undefined ? 204 : 200,
      timeoutMs: 5000,
      intervalMs: 30_000,
      maxIntervalMs: 300_000,
      minTriggerGapMs: 1000,
      ...options,
      expectedBody: options.expectedBody?.trim(),
    };
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

  /** Probe at once and re-arm the schedule; while a probe runs, another follows it. */
  probeNow(): Promise<boolean> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#disarm();
    this.#lastStart = this.#clock.monotonic();
    this.#inFlight = this.#probe().then((ok) => this.#finished(ok));
    return this.#inFlight;
  }

  /** Another signal changed: probe now, or as soon as minTriggerGapMs since the last probe allows. */
  trigger(): void {
    if (this.#stopped) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    const at = this.#lastStart + this.#options.minTriggerGapMs;
    const now = this.#clock.monotonic();
    if (at <= now) void this.probeNow();
    else if (at < this.#timerAt) this.#arm(at - now);
  }

  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  #finished(ok: boolean): boolean {
    this.#inFlight = undefined;
    if (this.#stopped) return ok;
    this.#failures = ok ? 0 : this.#failures + 1;
    if (ok !== this.#reachable) {
      this.#reachable = ok;
      this.#report(ok);
    }
    if (this.#again) {
      this.#again = false;
      this.trigger();
      if (this.#inFlight || this.#timer !== undefined) return ok;
    }
    const { intervalMs, maxIntervalMs } = this.#options;
    this.#arm(ok ? intervalMs : Math.min(maxIntervalMs, 1000 * 2 ** Math.min(this.#failures - 1, 20)));
    return ok;
  }

  #arm(ms: number): void {
    this.#disarm();
    this.#timerAt = this.#clock.monotonic() + ms;
    this.#timer = this.#clock.after(ms, () => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      void this.probeNow();
    });
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  async #probe(): Promise<boolean> {
    const controller = new AbortController();
    const timeout = this.#clock.after(this.#options.timeoutMs, () => controller.abort());
    try {
      const response = await fetch(this.#options.url, { method: "GET", redirect: "manual", signal: controller.signal, cache: "no-store" });
      if (response.status !== this.#options.expectedStatus) {
        await response.body?.cancel();
        return false;
      }
      if (this.#options.expectedBody === undefined) {
        await response.body?.cancel();
        return true;
      }
      return (await readLimited(response)) === this.#options.expectedBody;
    } catch {
      return false;
    } finally {
      this.#clock.cancel(timeout);
    }
  }
}

/** The body as trimmed text, or undefined past MAX_BODY_BYTES. */
async function readLimited(response: Response): Promise<string | undefined> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes).trim();
}
