// "Online" for this agent until the MQTT fusion lands: the reachability probe's verdict,
// overridden by a manual setting (`syncward net offline|online`; `auto` gives control back
// to the probe). With a probe, the device is offline until the first probe answers; with
// neither a probe nor an override it counts as online.

import type { Agent } from "./agent.js";

export type ManualSetting = "online" | "offline" | "auto";

export interface ConnectivityStatus {
  online: boolean;
  /** What decided: "manual", "probe" or "default". */
  source: "manual" | "probe" | "default";
  probe: boolean | undefined;
  manual: ManualSetting;
}

export class Connectivity {
  readonly #agent: Agent;
  readonly #probed: boolean;
  #probe: boolean | undefined;
  #manual: ManualSetting = "auto";
  #applied = false;

  readonly #onChange: (status: ConnectivityStatus) => void;

  /** `onChange` hears of every change of "online" before the agent acts on it. */
  constructor(agent: Agent, options: { probed: boolean; onChange?: (status: ConnectivityStatus) => void }) {
    this.#agent = agent;
    this.#probed = options.probed;
    this.#onChange = options.onChange ?? (() => {});
    this.#apply();
  }

  probeSays(reachable: boolean): void {
    this.#probe = reachable;
    this.#apply();
  }

  set(setting: ManualSetting): void {
    this.#manual = setting;
    this.#apply();
  }

  status(): ConnectivityStatus {
    if (this.#manual !== "auto") return { online: this.#manual === "online", source: "manual", probe: this.#probe, manual: this.#manual };
    if (this.#probed) return { online: this.#probe === true, source: "probe", probe: this.#probe, manual: "auto" };
    return { online: true, source: "default", probe: undefined, manual: "auto" };
  }

  #apply(): void {
    const status = this.status();
    if (status.online === this.#agent.online && this.#applied) return;
    this.#applied = true;
    this.#onChange(status);
    this.#agent.setConditions({ online: status.online });
  }
}
