// "Online" for the page's Agent: the connectivity fusion fed by the signals a page can have.
// navigator.onLine is evidence of offline only (a LAN or a captive portal says true); a
// reachability probe of the app's own backend and MQTT over WebSocket (broker link and
// status topics) are the positive evidence, each required when configured. With none
// configured the page counts as online unless navigator.onLine says otherwise. The assembly
// and its rules are the device's too (signal-sources.ts, required-signals.ts), and so is the
// backend's admission topic over that MQTT link: the page's Agent paces its events at the
// share it gives, or at the policy's own pace without one.

import type { Clock } from "../clock.js";
import type { FusedState } from "../connectivity/fusion.js";
import { SignalSources } from "../connectivity/signal-sources.js";
import type { PageConfig } from "./page-config.js";

/** The module dist/mqtt-link.js: loaded only when MQTT is configured, since the MQTT client outweighs the rest of syncward. */
export type MqttLinkModule = typeof import("../connectivity/mqtt-link.js");

/** What the page's connectivity tells its Agent. */
export interface PageConnectivityTarget {
  /** Every change of the fused state. */
  setConditions(state: FusedState): void;
  /** The share of the backend from the admission topic (requests/s); undefined: the policy's own pacing. */
  setPace(requestsPerSecond: number | undefined, slotAt?: number): void;
}

export class PageConnectivity {
  readonly #sources: SignalSources;
  readonly #onOnline = () => this.#navigatorSays(true);
  readonly #onOffline = () => this.#navigatorSays(false);
  readonly #admission: boolean;
  #link: InstanceType<MqttLinkModule["MqttLink"]> | undefined;

  constructor(config: PageConfig, clock: Clock, agent: PageConnectivityTarget, log: (line: string) => void, loadMqtt: () => Promise<MqttLinkModule>) {
    this.#sources = new SignalSources({
      clock,
      require: config.require,
      settleMs: config.settleMs,
      probe: config.probe,
      onChange: (state) => agent.setConditions(state),
    });
    this.#admission = config.mqtt?.admission !== undefined;
    this.#navigatorSays(navigator.onLine);
    addEventListener("online", this.#onOnline);
    addEventListener("offline", this.#onOffline);
    const mqtt = config.mqtt;
    if (mqtt) {
      loadMqtt()
        .then(({ MqttLink }) => {
          this.#link = new MqttLink({ ...mqtt, clock, signals: this.#sources.signals, log, onPace: (share, slotAt) => agent.setPace(share, slotAt) });
          this.#sources.attachLink(this.#link);
        })
        .catch((error: Error) => log(`MQTT is configured but could not start: ${error.message}`));
    }
  }

  get state(): FusedState {
    return this.#sources.fusion.state;
  }

  /** With an admission topic: the share in force (requests/s), null while falling back to the policy. */
  get admissionPerDevice(): number | null | undefined {
    // Before the lazily loaded link exists the policy's own pacing is in force.
    return this.#link ? this.#link.admissionPerDevice : this.#admission ? null : undefined;
  }

  #navigatorSays(online: boolean): void {
    // "good" from navigator.onLine proves nothing, but it lifts an earlier veto.
    this.#sources.fusion.report("navigatorOnLine", online ? "good" : "bad");
    this.#sources.linkChanged(online);
  }

  close(): void {
    removeEventListener("online", this.#onOnline);
    removeEventListener("offline", this.#onOffline);
    void this.#sources.close();
  }
}
