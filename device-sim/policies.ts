// The four ways a kiosk app gets its outbox to the backend, as the simulator runs them, and
// the extra policies a scenario file defines (the real Agent with a preset and overrides).
//
// kiosk     syncward's `kiosk` preset on the real Agent; "online" is the connectivity fusion
//           over evidence the world gives (probe by default: the backend really reachable),
//           with its settle time. The handler passes a 429's Retry-After to the Agent. It
//           paces at its share of what the backend's admission topic offers, while the
//           backend publishes one (admission-publisher.ts).
// chromium  the `chromium` preset on the real Agent: Chromium's timeline (3 attempts, 5 then
//           15 min, 3 min events); "online" is navigator.onLine, i.e. any link, also behind
//           a captive portal or with the backend down. Retry-After is invisible to it.
// workbox   workbox-background-sync on a runtime without the API (its fallback): the page
//           fetches; fetchDidFail (fetch rejected, never an HTTP error) queues the request in
//           IndexedDB; the queue is replayed only when the service worker starts (boot,
//           reboot, the kiosk page's periodic restart), serially, stopping at the first
//           rejection; 4xx/5xx answers and a portal's page count as sent; entries older than
//           maxRetentionTime are dropped on read.
// naive     a hand-rolled loop on the real Agent: retry after a fixed delay (1 s default,
//           MQTT.js's reconnect period), no jitter, no back-off, no Retry-After, online =
//           navigator.onLine, up to `maxAttempts` attempts (255 default, the core's maximum).

import type { Policy, Preset } from "../wasm-core/binding/policy.js";
import { SchedulerError } from "../wasm-core/binding/codes.js";
import { Scheduler } from "../wasm-core/binding/scheduler.js";
import { coreModule } from "../wasm-core/binding/core-wasm.js";
import { ScenarioError, type PolicyName, type Scenario } from "./scenario.js";

export interface AgentPolicy {
  kind: "agent";
  name: PolicyName;
  preset: Preset;
  overrides: Partial<Policy>;
  /**
   * "link": navigator.onLine; "fused": the connectivity fusion over the scenario's required
   * signals, reported from the world; "external": something else sets the Agent's conditions
   * (--mqtt: the agent's own DeviceConnectivity over a real broker).
   */
  online: "link" | "fused" | "external";
  honoursRetryAfter: boolean;
  /** Paces at the share the backend's admission topic gives (when the scenario's backend publishes one). */
  followsAdmission: boolean;
}

export interface WorkboxPolicy {
  kind: "workbox";
  name: "workbox";
}

export type SimPolicy = AgentPolicy | WorkboxPolicy;

export function simPolicy(name: PolicyName, scenario: Scenario): SimPolicy {
  switch (name) {
    case "kiosk":
      return { kind: "agent", name, preset: "kiosk", overrides: {}, online: "fused", honoursRetryAfter: true, followsAdmission: true };
    case "chromium":
      return { kind: "agent", name, preset: "chromium", overrides: {}, online: "link", honoursRetryAfter: false, followsAdmission: false };
    case "naive":
      return {
        kind: "agent",
        name,
        preset: "chromium",
        online: "link",
        honoursRetryAfter: false,
        followsAdmission: false,
        overrides: {
          maxAttempts: scenario.naive.maxAttempts,
          initialRetryDelay: scenario.naive.delayMs,
          retryDelayFactor: 1,
          maxRetryDelay: Infinity,
          jitter: "none",
          reregisterBypassesBackoff: true,
        },
      };
    case "workbox":
      return { kind: "workbox", name };
  }
  const extra = scenario.extraPolicies[name];
  if (!extra) throw new Error(`the scenario defines no policy "${name}"`);
  return {
    kind: "agent",
    name,
    preset: extra.preset,
    overrides: extra.policy,
    online: extra.online,
    honoursRetryAfter: extra.retryAfter,
    followsAdmission: extra.admission,
  };
}

/**
 * The core's own check of the extra policies' values (the scenario checks names and types):
 * a value out of range is a ScenarioError naming it, before any shard starts.
 */
export async function checkExtraPolicies(scenario: Scenario): Promise<void> {
  const module = await coreModule();
  for (const [name, extra] of Object.entries(scenario.extraPolicies)) {
    try {
      await Scheduler.instantiate(module, { preset: extra.preset, policy: extra.policy });
    } catch (error) {
      if (!(error instanceof SchedulerError)) throw error;
      throw new ScenarioError(`extraPolicies.${name}.policy: the core refuses ${error.message.replace(/^.*setPolicy\((.*)\).*$/, "$1")}`);
    }
  }
}
