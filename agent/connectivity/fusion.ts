// Connectivity fusion: TTL'd evidence from several signals becomes one "online" for the core.
// Online needs every required signal good, no veto, and that for a settle time without a
// break (hysteresis: flapping inputs never reach the core as a storm of online edges);
// offline is immediate. The settle time adapts to the link's recent breaks (flap-damping.ts)
// unless a fixed one is given; with nothing required there is nothing to settle. navigator.onLine can only veto: its "true" proves nothing (a LAN,
// a captive portal). A manual setting overrides everything until "auto".
//
// It is cheap by design, since the simulator runs one per device: no allocation per report,
// at most one pending timer, and the reason string is built only when someone reads it.

import type { Clock } from "../clock.js";
import { FlapDamping, type FlapDampingOptions } from "./flap-damping.js";

export type SignalName = "probe" | "broker" | "deviceStatus" | "backendStatus" | "navigatorOnLine";
export type Evidence = "good" | "bad" | "unknown";
export type ManualSetting = "online" | "offline" | "auto";

export interface FusedState {
  online: boolean;
  metered: boolean;
  onBattery: boolean;
  /** Which evidence decided, e.g. "backendStatus bad" or "settled: probe, broker good". */
  reason: string;
}

export interface FusionOptions {
  clock: Clock;
  /** Signals that must all be good for online. navigatorOnLine can never be required (it only vetoes). */
  require: SignalName[];
  /**
   * Inputs must stay good this long before online (hysteresis); offline is immediate. Omitted:
   * adaptive, from `flapDamping` (short after a clean outage, long while the link flaps).
   */
  settleMs?: number;
  /** The adaptive settle time's parameters (default {@link DEFAULT_FLAP_DAMPING}); ignored with `settleMs`. */
  flapDamping?: FlapDampingOptions;
  /** Called on every change of online, metered or onBattery (never for a new reason alone). */
  onChange: (state: FusedState) => void;
}

export interface EvidenceDetail {
  /** The evidence becomes "unknown" (stale) this long after the report. */
  ttlMs?: number;
  metered?: boolean;
  onBattery?: boolean;
}

export const SIGNAL_NAMES: readonly SignalName[] = ["probe", "broker", "deviceStatus", "backendStatus", "navigatorOnLine"];
const VETO = 4; // index of navigatorOnLine
const EVIDENCE: readonly Evidence[] = ["good", "bad", "unknown"];

function signalIndex(signal: SignalName): number {
  const i = SIGNAL_NAMES.indexOf(signal);
  if (i < 0) throw new TypeError(`unknown connectivity signal ${JSON.stringify(signal)}`);
  return i;
}

export class ConnectivityFusion {
  readonly #clock: Clock;
  readonly #required: number[];
  /** A fixed settle time, or undefined: adaptive. */
  readonly #fixedSettleMs: number | undefined;
  readonly #damping: FlapDamping;
  /** The settle time of the current good spell, fixed when it began. */
  #settleMs = 0;
  readonly #onChange: (state: FusedState) => void;
  readonly #evidence: Evidence[] = SIGNAL_NAMES.map(() => "unknown");
  /** When each evidence goes stale (Infinity: never). */
  readonly #expiresAt: number[] = SIGNAL_NAMES.map(() => Infinity);
  #manual: ManualSetting = "auto";
  #metered = false;
  #onBattery = false;
  /** Since when the required inputs have all been good (NaN: they are not). */
  #goodSince = NaN;
  #online = false;
  #reportedMetered = false;
  #reportedOnBattery = false;
  #state: FusedState | undefined;
  #timer: unknown;
  #timerAt = Infinity;
  #closed = false;

  constructor(options: FusionOptions) {
    this.#clock = options.clock;
    this.#required = [...new Set(options.require.map(signalIndex))];
    if (this.#required.includes(VETO)) throw new TypeError("navigatorOnLine cannot be required: it is evidence of offline only");
    const settle = options.settleMs ?? (this.#required.length === 0 ? 0 : undefined);
    if (settle !== undefined && !(settle >= 0 && settle < Infinity)) throw new RangeError(`settleMs must be a non-negative number, got ${settle}`);
    this.#fixedSettleMs = settle;
    this.#damping = new FlapDamping(options.flapDamping);
    this.#onChange = options.onChange;
    this.#evaluate();
  }

  /** Record what a signal says now. `detail.ttlMs`: the evidence becomes "unknown" (stale) after that long. */
  report(signal: SignalName, evidence: Evidence, detail?: EvidenceDetail): void {
    if (this.#closed) return;
    const i = signalIndex(signal);
    if (!EVIDENCE.includes(evidence)) throw new TypeError(`unknown evidence ${JSON.stringify(evidence)} for ${signal}`);
    const now = this.#clock.monotonic();
    // Expiries due but not yet handled (a late timer) count before the new evidence does:
    // a stale gap is a break in the settle time even when fresh evidence follows it.
    if (now >= this.#timerAt) this.#evaluate();
    const ttl = detail?.ttlMs;
    if (ttl !== undefined && !(ttl >= 0)) throw new RangeError(`ttlMs must be a non-negative number, got ${ttl}`);
    this.#evidence[i] = evidence;
    this.#expiresAt[i] = ttl === undefined ? Infinity : now + ttl;
    if (detail?.metered !== undefined) this.#metered = detail.metered;
    if (detail?.onBattery !== undefined) this.#onBattery = detail.onBattery;
    this.#evaluate();
  }

  /** "online" / "offline" override the signals at once; "auto" gives control back to them. */
  setManual(setting: ManualSetting): void {
    if (setting !== "online" && setting !== "offline" && setting !== "auto")
      throw new TypeError(`manual setting must be online, offline or auto, got ${JSON.stringify(setting)}`);
    if (this.#closed) return;
    this.#manual = setting;
    this.#evaluate();
  }

  get manual(): ManualSetting {
    return this.#manual;
  }

  /** What a signal says now, "unknown" once stale. */
  evidence(signal: SignalName): Evidence {
    const i = signalIndex(signal);
    return this.#expiresAt[i]! <= this.#clock.monotonic() ? "unknown" : this.#evidence[i]!;
  }

  get state(): FusedState {
    this.#state ??= { online: this.#online, metered: this.#reportedMetered, onBattery: this.#reportedOnBattery, reason: this.#reason() };
    return this.#state;
  }

  /** Stop: no more timers, reports are ignored. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #fresh(i: number, now: number): Evidence {
    return this.#expiresAt[i]! <= now ? "unknown" : this.#evidence[i]!;
  }

  #candidate(now: number): boolean {
    if (this.#fresh(VETO, now) === "bad") return false;
    for (const i of this.#required) if (this.#fresh(i, now) !== "good") return false;
    return true;
  }

  #evaluate(): void {
    if (this.#closed) return;
    const now = this.#clock.monotonic();
    const candidate = this.#candidate(now);
    if (!candidate) {
      if (!Number.isNaN(this.#goodSince)) this.#damping.recordBreak(now);
      this.#goodSince = NaN;
    } else if (Number.isNaN(this.#goodSince)) {
      this.#goodSince = now;
      this.#settleMs = this.#fixedSettleMs ?? this.#damping.settleMs(now);
    }
    const settled = candidate && now - this.#goodSince >= this.#settleMs;
    const online = this.#manual === "auto" ? settled : this.#manual === "online";
    this.#state = undefined;
    this.#arm(now, candidate && !settled ? this.#goodSince + this.#settleMs : Infinity);
    if (online === this.#online && this.#metered === this.#reportedMetered && this.#onBattery === this.#reportedOnBattery) return;
    this.#online = online;
    this.#reportedMetered = this.#metered;
    this.#reportedOnBattery = this.#onBattery;
    this.#onChange(this.state);
  }

  /** Wake at the settle deadline or the next expiry that can matter, whichever is first. */
  #arm(now: number, settleAt: number): void {
    let at = settleAt;
    for (const i of this.#required) if (this.#evidence[i] !== "unknown" && this.#expiresAt[i]! > now && this.#expiresAt[i]! < at) at = this.#expiresAt[i]!;
    if (this.#evidence[VETO] === "bad" && this.#expiresAt[VETO]! > now && this.#expiresAt[VETO]! < at) at = this.#expiresAt[VETO]!;
    // A pending timer that is due no later than needed is kept: when it fires it re-arms.
    // Flapping inputs thus cost one wake-up per settle time, not a cancel per report.
    if (at === Infinity || this.#timerAt <= at) return;
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.after(at - now, () => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#evaluate();
    });
  }

  #reason(): string {
    if (this.#manual !== "auto") return `manual ${this.#manual}`;
    const now = this.#clock.monotonic();
    if (this.#fresh(VETO, now) === "bad") return "navigatorOnLine bad";
    const names = this.#required.map((i) => SIGNAL_NAMES[i]!);
    const missing: string[] = [];
    for (const i of this.#required) {
      const evidence = this.#fresh(i, now);
      if (evidence === "good") continue;
      const stale = this.#evidence[i] !== "unknown" && this.#expiresAt[i]! <= now;
      missing.push(`${SIGNAL_NAMES[i]} ${stale ? "stale" : evidence}`);
    }
    if (missing.length > 0) return missing.join(", ");
    const which = names.length === 0 ? "nothing required" : `${names.join(", ")} good`;
    return this.#online ? `settled: ${which}` : `settling: ${which}`;
  }
}
