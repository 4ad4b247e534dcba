// The one assembly of "online" that the page and the device share: the connectivity fusion,
// an optional reachability probe of the backend and an optional MQTT link (attached when it
// exists: the page loads its MQTT client lazily), and how they help each other. A change in
// any reported signal makes the probes look at once; a probe that succeeds again cuts the
// link's reconnect back-off short; a link that went down (navigator.onLine false in a page)
// makes what the probe said before count for nothing until it probes the new link.

import type { Clock } from "../clock.js";
import { ReachabilityProbe, type ProbeOptions } from "../reachability-probe.js";
import type { FlapDampingOptions } from "./flap-damping.js";
import { ConnectivityFusion, type Evidence, type EvidenceDetail, type FusedState, type SignalName } from "./fusion.js";

/** What the sources need of an MQTT link. */
export interface Link {
  reconnectNow(): void;
  close(): Promise<void>;
}

/** Where an MQTT link reports its evidence (its `signals` option). */
export interface SignalSink {
  report(signal: SignalName, evidence: Evidence, detail?: EvidenceDetail): void;
}

export interface SignalSourcesOptions {
  clock: Clock;
  /** The checked list (required-signals.ts). */
  require: SignalName[];
  /** A fixed settle time; default adaptive (fusion.ts). */
  settleMs?: number | undefined;
  flapDamping?: FlapDampingOptions;
  probe?: ProbeOptions | undefined;
  onChange: (state: FusedState) => void;
  /** Called whenever a signal's evidence changed: more probes to trigger (a device's per-scope ones). */
  onEvidenceChanged?: () => void;
}

export class SignalSources {
  readonly fusion: ConnectivityFusion;
  readonly #clock: Clock;
  readonly #probeOptions: ProbeOptions | undefined;
  readonly #onEvidenceChanged: () => void;
  #probe: ReachabilityProbe | undefined;
  #link: Link | undefined;
  #closed = false;

  constructor(options: SignalSourcesOptions) {
    this.#clock = options.clock;
    this.#probeOptions = options.probe;
    this.#onEvidenceChanged = options.onEvidenceChanged ?? (() => {});
    this.fusion = new ConnectivityFusion({
      clock: options.clock,
      require: options.require,
      ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
      ...(options.flapDamping === undefined ? {} : { flapDamping: options.flapDamping }),
      onChange: options.onChange,
    });
    this.#probe = this.#startProbe();
  }

  /** The sink to hand an MQTT link: its evidence reaches the fusion, and a change triggers the probes. */
  readonly signals: SignalSink = {
    report: (signal, evidence, detail) => {
      const before = this.fusion.evidence(signal);
      this.fusion.report(signal, evidence, detail);
      if (evidence !== before) this.triggerProbes();
    },
  };

  /** The MQTT link, once it exists. */
  attachLink(link: Link): void {
    if (this.#closed) void link.close();
    else this.#link = link;
  }

  get probe(): ReachabilityProbe | undefined {
    return this.#probe;
  }

  /** Ask every probe now instead of at its next turn. */
  triggerProbes(): void {
    this.#probe?.trigger();
    this.#onEvidenceChanged();
  }

  /**
   * The device's own link went down or came back (navigator.onLine in a page): down, the
   * probe's last word proves nothing about the next link, so it starts over; up, every
   * signal is asked at once.
   */
  linkChanged(up: boolean): void {
    if (this.#closed) return;
    if (!up) {
      this.#probe?.stop();
      this.#probe = undefined;
      if (this.#probeOptions) this.fusion.report("probe", "unknown");
      return;
    }
    this.#probe ??= this.#startProbe();
    this.#link?.reconnectNow();
  }

  #startProbe(): ReachabilityProbe | undefined {
    if (!this.#probeOptions) return undefined;
    const probe = new ReachabilityProbe(this.#probeOptions, this.#clock, (reachable) => {
      this.fusion.report("probe", reachable ? "good" : "bad");
      if (reachable) this.#link?.reconnectNow();
    });
    probe.start();
    return probe;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#probe?.stop();
    this.fusion.close();
    await this.#link?.close();
  }
}
