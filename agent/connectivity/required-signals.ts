// Which signals must be good for "online": one default rule and one validator for the page's
// config and the device's, so the two cannot drift apart. The rule: every configured signal
// is required (the broker link whenever MQTT is configured, the device and backend status
// when their topics are, the probe when it is). An explicit list may name only configured
// signals: a required signal nobody reports would hold the device offline for ever.

import { quotedValue } from "../quoted-value.js";
import type { SignalName } from "./fusion.js";

/** The signals a list may require (navigatorOnLine is evidence of offline only). */
export const REQUIRABLE_SIGNALS: readonly SignalName[] = ["probe", "broker", "deviceStatus", "backendStatus"];

/** What a configuration has, in the shape both configs share. */
export interface ConfiguredSources {
  probe?: unknown;
  mqtt?: { deviceStatus?: unknown; backendStatus?: unknown } | undefined;
}

/** Every signal the configuration provides, in REQUIRABLE_SIGNALS order. */
export function configuredSignals(config: ConfiguredSources): SignalName[] {
  const has: Record<string, boolean> = {
    probe: config.probe !== undefined,
    broker: config.mqtt !== undefined,
    deviceStatus: config.mqtt?.deviceStatus !== undefined,
    backendStatus: config.mqtt?.backendStatus !== undefined,
  };
  return REQUIRABLE_SIGNALS.filter((name) => has[name]);
}

/** A `require` list that cannot work; the message follows the field's name ("require …"). */
export class RequireError extends TypeError {
  override name = "RequireError";
}

/**
 * The required signals: `require` checked against the configuration, or every configured
 * signal when it is undefined. Throws {@link RequireError} for anything else.
 */
export function requiredSignals(config: ConfiguredSources, require: unknown): SignalName[] {
  const configured = configuredSignals(config);
  if (require === undefined) return configured;
  if (!Array.isArray(require)) throw new RequireError(`must be a list of signal names (${REQUIRABLE_SIGNALS.join(", ")})`);
  for (const name of require) {
    if (name === "navigatorOnLine") throw new RequireError("cannot name navigatorOnLine: it is evidence of offline only");
    if (!REQUIRABLE_SIGNALS.includes(name as SignalName))
      throw new RequireError(`names an unknown signal ${quotedValue(name)} (known: ${REQUIRABLE_SIGNALS.join(", ")})`);
    if (!configured.includes(name as SignalName)) throw new RequireError(`names ${name as string}, which is not configured`);
  }
  return [...new Set(require as SignalName[])];
}
