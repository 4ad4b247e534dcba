// The scenarios that ship with the simulator, as overrides of the defaults in scenario.ts.
// Parameters are configurable defaults, not measurements, except where a source is named.

import { parseScenario, type Scenario } from "./scenario.js";

type Overrides = Record<string, unknown>;

const NAMED: Record<string, Overrides> = {
  "commute-cellular": {
    name: "commute-cellular",
    description:
      "Ticket validators and info screens on buses and trains over LTE: the link drops every half hour or so (tunnels, handovers, dead zones with a heavy tail), and within up periods Gilbert–Elliott bursts with rare uplink stalls of up to 78 s (ATT-LTE-driving.up: p 0.021, r 0.12 per 100 ms).",
    link: { up: { mean: "25m", shape: 0.8 }, down: { median: "60s", p99: "45m" }, captive: 0 },
    stalls: { p: 0.021, r: 0.12, step: "100ms", long: { probability: 0.02, min: "5s", alpha: 1.3, max: "78s" } },
    latency: { median: "150ms", p99: "2.5s" },
    reboots: { perDay: 0.5, downtime: { median: "90s", p99: "30m" }, rtc: false, ntpSync: "45s" },
    workload: { perHour: 12, tags: "unique" },
    backend: { capacityPer1000: 20, errorRate: 0.01, retryAfter: "30s" },
  },
  "store-wifi": {
    name: "store-wifi",
    description:
      "Retail kiosks on store Wi-Fi: long up periods and short drops, a guest network whose captive portal sometimes comes back (link up, navigator.onLine true, backend unreachable), about one reboot a day, wall clock behind after each boot until NTP.",
    link: { up: { mean: "6h", shape: 1 }, down: { median: "45s", p99: "30m" }, captive: 0.08 },
    stalls: { p: 0.003, r: 0.3, step: "100ms", long: { probability: 0.001, min: "5s", alpha: 1.5, max: "60s" } },
    latency: { median: "40ms", p99: "800ms" },
    reboots: { perDay: 1, downtime: { median: "60s", p99: "5m" }, rtc: false, ntpSync: "20s" },
    workload: { perHour: 6, tags: "unique" },
    backend: { capacityPer1000: 10, errorRate: 0.005, retryAfter: "30s" },
    workbox: { pageReload: "12h", maxRetention: "7d" },
  },
  "fleet-outage": {
    name: "fleet-outage",
    description:
      "Wired kiosks on a good network. The backend is down 06:00–06:30 while the broker stays up; the MQTT broker restarts 14:00–14:10; a regional ISP outage takes 40% of the fleet offline 18:00–20:00. Shows the recovery herd, who keeps attempting into a dead backend, and who honours Retry-After.",
    link: { up: { mean: "24h", shape: 1 }, down: { median: "30s", p99: "20m" }, captive: 0.01 },
    workload: { perHour: 12, tags: "unique" },
    backend: { capacityPer1000: 25, errorRate: 0.002, retryAfter: "30s" },
    kiosk: { require: ["probe"], settle: "adaptive", probeInterval: "30s" },
    fleet: [
      { outage: "backend", at: "6h", for: "30m" },
      { outage: "broker", at: "14h", for: "10m" },
      { outage: "link", at: "18h", for: "2h", fraction: 0.4 },
    ],
  },
};

export const NAMED_SCENARIOS = Object.keys(NAMED);

/** A built-in scenario's overrides (for "extends"), or undefined. */
export function namedOverrides(name: string): Overrides | undefined {
  return Object.hasOwn(NAMED, name) ? NAMED[name] : undefined;
}

/** A built-in scenario, resolved. */
export function namedScenario(name: string): Scenario | undefined {
  const overrides = namedOverrides(name);
  return overrides && parseScenario(overrides, namedOverrides);
}
