// A device's connectivity, assembled: the MQTT link and the HTTP probe feed a ConnectivityFusion,
// whose verdict (online, metered, onBattery) goes to the Agent; a manual setting overrides it;
// the agent's presence and registration summary go out over MQTT. The pieces also talk to each
// other: a change in any other signal makes the probes look at once, and a probe that succeeds
// again cuts the MQTT reconnect back-off short. A scope may have a probe of its own (its
// origin's backend): the spec's stricter, origin-specific online, on top of the device's.
//
// Default rule: every configured signal is required — the broker link whenever MQTT is
// configured, the device status and backend status when their topics are, the probe when it
// is — with DEFAULT_SETTLE_MS of hysteresis. Nothing configured counts as online at once.

import type { Clock } from "../clock.js";
import type { Conditions } from "../core/scheduler.js";
import type { RegistrationStatus } from "../agent.js";
import { ReachabilityProbe, type ProbeOptions } from "../reachability-probe.js";
import { ConnectivityFusion, DEFAULT_SETTLE_MS, type Evidence, type EvidenceDetail, type FusedState, type ManualSetting, type SignalName } from "./fusion.js";
import { MqttLink, type LinkStatus, type MqttLinkOptions } from "./mqtt-link.js";
import { SummaryPublisher, summarize } from "./registration-summary.js";

/** What connectivity needs of the Agent. */
export interface ConnectivityTarget {
  setConditions(conditions: Conditions): void;
  setScopeOnline(scope: string, online: boolean): void;
  status(): RegistrationStatus[];
  nextWakeup(): number;
}

export type MqttOptions = Omit<MqttLinkOptions, "clock" | "signals" | "log" | "onConnect"> & {
  /** Retained JSON summary of the registrations, published when it changes. */
  summaryTopic?: string;
};

export interface DeviceConnectivityOptions {
  agent: ConnectivityTarget;
  clock: Clock;
  mqtt?: MqttOptions;
  probe?: ProbeOptions;
  /** Which signals must all be good; default: every configured one (see {@link defaultRequire}). */
  require?: SignalName[];
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
}

/** The signals required when the configuration does not say. */
export function defaultRequire(config: { mqtt?: { deviceStatus?: unknown; backendStatus?: unknown }; probe?: unknown }): SignalName[] {
  const require: SignalName[] = [];
  if (config.mqtt) {
    require.push("broker");
    if (config.mqtt.deviceStatus) require.push("deviceStatus");
    if (config.mqtt.backendStatus) require.push("backendStatus");
  }
  if (config.probe) require.push("probe");
  return require;
}

export class DeviceConnectivity {
  readonly fusion: ConnectivityFusion;
  readonly link: MqttLink | undefined;
  readonly probe: ReachabilityProbe | undefined;
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
    this.#required = options.require ?? defaultRequire(options);
    this.fusion = new ConnectivityFusion({
      // With nothing required there is nothing to settle.
      clock, require: this.#required, settleMs: options.settleMs ?? (this.#required.length === 0 ? 0 : DEFAULT_SETTLE_MS),
      onChange: (state) => {
        this.#onChange(state);
        agent.setConditions(state);
        this.#summary?.changed();
      },
    });

    this.probe = probe && new ReachabilityProbe(probe, clock, (reachable) => {
      this.fusion.report("probe", reachable ? "good" : "bad");
      if (reachable) this.link?.reconnectNow();
    });
    if (mqtt) {
      const { summaryTopic, ...linkOptions } = mqtt;
      const signals = {
        report: (signal: SignalName, evidence: Evidence, detail?: EvidenceDetail) => {
          const before = this.fusion.evidence(signal);
          this.fusion.report(signal, evidence, detail);
          if (evidence !== before) this.#triggerProbes();
        },
      };
      this.link = new MqttLink({ ...linkOptions, clock, signals, log, onConnect: () => this.#summary?.connected() });
      const link = this.link;
      this.#summary = summaryTopic === undefined ? undefined : new SummaryPublisher({
        clock,
        read: () => summarize(agent.status(), agent.nextWakeup(), this.fusion.state),
        publish: (payload) => link.publish(summaryTopic, payload, { retain: true }),
      });
    }
    this.probe?.start();
  }

  /** "online" / "offline" override every device signal; "auto" gives control back (and probes at once). */
  setManual(setting: ManualSetting): void {
    this.fusion.setManual(setting);
    if (setting === "auto") this.#triggerProbes();
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

  #triggerProbes(): void {
    this.probe?.trigger();
    for (const probe of this.#scopeProbes.values()) probe.trigger();
  }

  /** The registrations changed (the summary topic shows them). */
  registrationsChanged(): void {
    this.#summary?.changed();
  }

  status(): ConnectivityStatus {
    const signals: Partial<Record<SignalName, Evidence>> = {};
    if (this.probe) signals.probe = this.fusion.evidence("probe");
    if (this.link) {
      signals.broker = this.fusion.evidence("broker");
      if (this.#topics.deviceStatus) signals.deviceStatus = this.fusion.evidence("deviceStatus");
      if (this.#topics.backendStatus) signals.backendStatus = this.fusion.evidence("backendStatus");
    }
    for (const s of this.#required) signals[s] ??= this.fusion.evidence(s);
    const scopes: Record<string, Evidence> = {};
    for (const [scope, probe] of this.#scopeProbes) scopes[scope] = probe.reachable === undefined ? "unknown" : probe.reachable ? "good" : "bad";
    return { ...this.fusion.state, manual: this.fusion.manual, required: [...this.#required], signals, scopes, mqtt: this.link?.status() };
  }

  async close(): Promise<void> {
    this.probe?.stop();
    for (const probe of this.#scopeProbes.values()) probe.stop();
    this.#summary?.close();
    this.fusion.close();
    await this.link?.close();
  }
}
