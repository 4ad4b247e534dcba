// What a reload (SIGHUP) may change while the agent runs. Connectivity (probe, MQTT topics and
// broker URL, require, settle time), the window client and new service workers take effect at
// once; what the running parts were built from (the store, the control socket, the core's
// policy, the log format, the embedded broker, the HTTP endpoint, the browser bridge) and the workers already
// running need a restart, so a reload that changes them is refused whole and nothing changes.

import type { AgentConfig } from "./agent-config.js";

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Why `next` cannot replace `current` without a restart, or undefined if it can. */
export function restartNeeded(current: AgentConfig, next: AgentConfig): string | undefined {
  for (const field of ["store", "control", "preset", "policy", "seed", "log", "http", "workerLimits", "browser"] as const) {
    if (!same(current[field], next[field])) return `${field} changed, which needs a restart`;
  }
  const broker = (c: AgentConfig) => (c.mqtt && c.mqtt.url === undefined ? { port: c.mqtt.brokerPort, credential: c.mqtt.credentialFile } : undefined);
  if (!same(broker(current), broker(next))) return "the embedded broker (mqtt.url, mqtt.brokerPort or mqtt.credentialFile) changed, which needs a restart";
  for (const worker of current.serviceWorkers) {
    const kept = next.serviceWorkers.find((w) => w.scope === worker.scope);
    if (!kept) return `the service worker of ${worker.scope} was removed, which needs a restart (its registrations stay stored)`;
    if (kept.script !== worker.script) return `the service worker of ${worker.scope} has a new script, which needs a restart`;
  }
  return undefined;
}
