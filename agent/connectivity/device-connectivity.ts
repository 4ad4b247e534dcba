// A device's connectivity, assembled: the MQTT link and the HTTP probe feed the connectivity
// fusion through the assembly the page shares (signal-sources.ts: a change in any signal
// makes the probes look at once, a probe that succeeds again cuts the MQTT reconnect back-off
// short), whose verdict (online, metered, onBattery) goes to the Agent; a manual setting
// overrides it; the agent's presence and registration summary go out over MQTT. A scope may
// have a probe of its own (its origin's backend): the spec's stricter, origin-specific
// online, on top of the device's; any change of evidence triggers those probes too.
//
// The required signals follow the one rule in required-signals.ts, with the fusion's adaptive
// settle time. Nothing configured counts as online at once.

import type { Clock } from "../clock.js";
import type { Conditions } from "../../wasm-core/binding/scheduler.js";
import type { RegistrationStatus } from "../agent.js";
import { ReachabilityProbe, type ProbeOptions } from "../reachability-probe.js";
import type { ConnectivityFusion, Evidence, FusedState, ManualSetting, SignalName } from "./fusion.js";
import { MqttLink, type LinkStatus, type MqttLinkOptions } from "./mqtt-link.js";
import { SummaryPublisher, summarize } from "./registration-summary.js";
import { configuredSignals } from "./required-signals.js";
import { SignalSources } from "./signal-sources.js";

/** What connectivity needs of the Agent. */
export interface ConnectivityTarget {
  setConditions(conditions: Conditions): void;
  setScopeOnline(scope: string, online: boolean): void;
  status(): RegistrationStatus[];
  nextWakeup(): number;
  /** The device's share of the backend (requests/s), undefined: the policy's own pacing. */
  setPace(requestsPerSecond: number | undefined, slotAt?: number): void;
}

export type MqttOptions = Omit<MqttLinkOptions, "clock" | "signals" | "log" | "onConnect" | "onPace"> & {
  /** Retained JSON summary of the registrations, published when it changes. */
  summaryTopic?: string;
};

export interface DeviceConnectivityOptions {
  agent: ConnectivityTarget;
  clock: Clock;
  mqtt?: MqttOptions;
  probe?: ProbeOptions;
  /** Which signals must all be good (a config reader checks the list with requiredSignals()); default: every configured one. */
  require?: SignalName[];
  /** A fixed settle time; default: adaptive (see {@link ConnectivityFusion}). */
  settleMs?: number;
  /** Problems and MQTT state changes, one line each. */
  log?: (message: string) => void;
  /** Every change of the fused state, before the agent acts on it. */
  onChange?: (state: FusedState) => void;
  /** Every verdict of a scope's own probe that differs from its last one. */
  onScopeChange?: (scope: string, online: boolean) => void;
}

export interface ConnectivityStatus extends FusedState {
  manual: ManualSetting;
  required: SignalName[];
  signals: Partial<Record<SignalName, Evidence>>;
  /** Scopes with a probe of their own, and what it says ("unknown" before its first answer). */
  scopes: Record<string, Evidence>;
  mqtt: LinkStatus | undefined;
  /** With an admission topic: the device's share in force (requests/s), null while falling back to the policy. */
  admissionPerDevice?: number | null;
}

export class DeviceConnectivity {
  readonly fusion: ConnectivityFusion;
  readonly link: MqttLink | undefined;
  readonly #sources: SignalSources;
  readonly #required: SignalName[];
  readonly #agent: ConnectivityTarget;
  readonly #clock: Clock;
  readonly #scopeProbes = new Map<string, ReachabilityProbe>();
  readonly #summary: SummaryPublisher | undefined;
  readonly #onChange: (state: FusedState) => void;
  readonly #onScopeChange: (scope: string, online: boolean) => void;
  readonly #topics: { deviceStatus: boolean; backendStatus: boolean };

  constructor(options: DeviceConnectivityOptions) {
    const { agent, clock, mqtt, probe } = options;
    const log = options.log ?? (() => {});
    this.#agent = agent;
    this.#clock = clock;
    this.#topics = { deviceStatus: mqtt?.deviceStatus !== undefined, backendStatus: mqtt?.backendStatus !== undefined };
    this.#onChange = options.onChange ?? (() => {});
    this.#onScopeChange = options.onScopeChange ?? (() => {});
    this.#required = options.require ?? configuredSignals(options);
    this.#sources = new SignalSources({
      clock,
      require: this.#required,
      settleMs: options.settleMs,
      probe,
      onChange: (state) => {
        this.#onChange(state);
        agent.setConditions(state);
        this.#summary?.changed();
      },
      onEvidenceChanged: () => {
        for (const scopeProbe of this.#scopeProbes.values()) scopeProbe.trigger();
      },
    });
    this.fusion = this.#sources.fusion;
    if (mqtt) {
      const { summaryTopic, ...linkOptions } = mqtt;
      const link = new MqttLink({
        ...linkOptions,
        clock,
        signals: this.#sources.signals,
        log,
        onConnect: () => this.#summary?.connected(),
        onPace: (share, slotAt) => agent.setPace(share, slotAt),
      });
      this.link = link;
      this.#sources.attachLink(link);
      this.#summary =
        summaryTopic === undefined
          ? undefined
          : new SummaryPublisher({
              clock,
              read: () => summarize(agent.status(), agent.nextWakeup(), this.fusion.state),
              publish: (payload) => link.publish(summaryTopic, payload, { retain: true }),
            });
    }
  }

  /** "online" / "offline" override every device signal; "auto" gives control back (and probes at once). */
  setManual(setting: ManualSetting): void {
    this.fusion.setManual(setting);
    if (setting === "auto") this.#sources.triggerProbes();
  }

  /**
   * Give a scope (already served by the agent) a probe of its own: its registrations fire only
   * while that probe succeeds, and the device is online. Offline until the first answer.
   */
  watchScope(scope: string, options: ProbeOptions): void {
    if (this.#scopeProbes.has(scope)) throw new Error(`${scope} already has a probe`);
    this.#agent.setScopeOnline(scope, false);
    const probe = new ReachabilityProbe(options, this.#clock, (reachable) => {
      this.#onScopeChange(scope, reachable);
      this.#agent.setScopeOnline(scope, reachable);
    });
    this.#scopeProbes.set(scope, probe);
    probe.start();
  }

  /** The registrations changed (the summary topic shows them). */
  registrationsChanged(): void {
    this.#summary?.changed();
  }

  status(): ConnectivityStatus {
    const signals: Partial<Record<SignalName, Evidence>> = {};
    if (this.#sources.probe) signals.probe = this.fusion.evidence("probe");
    if (this.link) {
      signals.broker = this.fusion.evidence("broker");
      if (this.#topics.deviceStatus) signals.deviceStatus = this.fusion.evidence("deviceStatus");
      if (this.#topics.backendStatus) signals.backendStatus = this.fusion.evidence("backendStatus");
    }
    for (const s of this.#required) signals[s] ??= this.fusion.evidence(s);
    const scopes: Record<string, Evidence> = {};
    for (const [scope, probe] of this.#scopeProbes) scopes[scope] = probe.reachable === undefined ? "unknown" : probe.reachable ? "good" : "bad";
    const admissionPerDevice = this.link?.admissionPerDevice;
    return {
      ...this.fusion.state,
      manual: this.fusion.manual,
      required: [...this.#required],
      signals,
      scopes,
      mqtt: this.link?.status(),
      ...(admissionPerDevice === undefined ? {} : { admissionPerDevice }),
    };
  }

  async close(): Promise<void> {
    for (const probe of this.#scopeProbes.values()) probe.stop();
    this.#summary?.close();
    await this.#sources.close();
  }
}
