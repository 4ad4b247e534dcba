// "Online" for the page's Agent: the connectivity fusion fed by the signals a page can have.
// navigator.onLine is evidence of offline only (a LAN or a captive portal says true); a
// reachability probe of the app's own backend and MQTT over WebSocket (broker link and
// status topics) are the positive evidence, each required when configured. With none
// configured the page counts as online unless navigator.onLine says otherwise.

import type { Clock } from "../clock.js";
import { ConnectivityFusion, DEFAULT_SETTLE_MS, type FusedState } from "../connectivity/fusion.js";
import { ReachabilityProbe } from "../reachability-probe.js";
import type { PageConfig } from "./page-config.js";

/** The module dist/mqtt-link.js: loaded only when MQTT is configured, since the MQTT client outweighs the rest of syncward. */
export type MqttLinkModule = typeof import("../connectivity/mqtt-link.js");

interface Link {
  reconnectNow(): void;
  close(): Promise<void>;
}

export class PageConnectivity {
  readonly #fusion: ConnectivityFusion;
  readonly #startProbe: (() => ReachabilityProbe) | undefined;
  #probe: ReachabilityProbe | undefined;
  #mqtt: Link | undefined;
  readonly #onOnline = () => this.#navigatorSays(true);
  readonly #onOffline = () => this.#navigatorSays(false);
  #closed = false;

  constructor(config: PageConfig, clock: Clock, onChange: (state: FusedState) => void, log: (line: string) => void, loadMqtt: () => Promise<MqttLinkModule>) {
    this.#fusion = new ConnectivityFusion({
      clock,
      require: config.require,
      settleMs: config.settleMs ?? (config.require.length > 0 ? DEFAULT_SETTLE_MS : 0),
      onChange,
    });
    const probe = config.probe;
    if (probe) {
      this.#startProbe = () => {
        const started = new ReachabilityProbe(probe, clock, (ok) => this.#fusion.report("probe", ok ? "good" : "bad"));
        started.start();
        return started;
      };
      this.#probe = this.#startProbe();
    }
    this.#navigatorSays(navigator.onLine);
    addEventListener("online", this.#onOnline);
    addEventListener("offline", this.#onOffline);
    const mqtt = config.mqtt;
    if (mqtt) {
      loadMqtt().then(({ MqttLink }) => {
        if (!this.#closed) this.#mqtt = new MqttLink({ ...mqtt, clock, signals: this.#fusion, log });
      }).catch((error: Error) => log(`MQTT is configured but could not start: ${error.message}`));
    }
  }

  get state(): FusedState {
    return this.#fusion.state;
  }

  #navigatorSays(online: boolean): void {
    // "good" from navigator.onLine proves nothing, but it lifts an earlier veto.
    this.#fusion.report("navigatorOnLine", online ? "good" : "bad");
    if (!online) {
      // The link went down: what the probe said before proves nothing about the link that
      // comes back. It starts over then, so "online" waits for a probe of the new link.
      this.#probe?.stop();
      this.#probe = undefined;
      if (this.#startProbe) this.#fusion.report("probe", "unknown");
      return;
    }
    // The browser saw a link come back: ask the other signals now instead of at their next turn.
    this.#probe ??= this.#startProbe?.();
    this.#mqtt?.reconnectNow();
  }

  close(): void {
    this.#closed = true;
    removeEventListener("online", this.#onOnline);
    removeEventListener("offline", this.#onOffline);
    this.#probe?.stop();
    void this.#mqtt?.close();
    this.#fusion.close();
  }
}
