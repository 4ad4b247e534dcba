// The report's figures as CSV for spreadsheets and scripts (`syncward sim --csv`): one row per
// policy, raw numbers (milliseconds, counts, shares from 0 to 1; empty where there is none),
// and for each fleet-wide recovery its own group of columns.

import type { PolicyReport, Report } from "./report.js";

const cell = (v: string | number | null): string => {
  if (v === null || (typeof v === "number" && !Number.isFinite(v))) return "";
  const text = String(v);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

const COLUMNS: [string, (p: PolicyReport) => string | number | null][] = [
  ["policy", (p) => p.policy],
  ["registered", (p) => p.registered],
  ["delivered", (p) => p.delivered],
  ["dropped", (p) => p.dropped],
  ["dropped_attempts_exhausted", (p) => p.droppedBy.attemptsExhausted],
  ["dropped_expired", (p) => p.droppedBy.expired],
  ["dropped_http_error_as_sent", (p) => p.droppedBy.httpErrorAsSuccess],
  ["dropped_lost_in_crash", (p) => p.droppedBy.lostInCrash],
  ["duplicated", (p) => p.duplicated],
  ["pending", (p) => p.pending],
  ["pending_queued_over_1h_before_end", (p) => p.pendingOld],
  ["latency_p50_ms", (p) => p.latencyMs.p50],
  ["latency_p95_ms", (p) => p.latencyMs.p95],
  ["latency_p99_ms", (p) => p.latencyMs.p99],
  ["latency_p99_all_ms", (p) => p.latencyP99AllMs],
  ["reconnect_to_attempt_p50_ms", (p) => p.reconnectToAttemptMs.p50],
  ["reconnect_to_attempt_p95_ms", (p) => p.reconnectToAttemptMs.p95],
  ["reconnects_with_no_attempt", (p) => p.reconnectToAttemptMs.missed],
  ["attempts", (p) => p.attempts],
  ["attempts_per_delivery", (p) => p.attemptsPerDelivery],
  ["wakeups_per_device_hour", (p) => p.wakeupsPerDeviceHour],
  ["backend_peak_rps", (p) => p.peakRps],
  ["agent_problems", (p) => p.problems],
];

const RECOVERY_COLUMNS: [string, (r: PolicyReport["recoveries"][number]) => string | number | null][] = [
  ["kind", (r) => r.kind],
  ["at_ms", (r) => r.at],
  ["peak_rps", (r) => r.peakRps],
  ["seconds_over_capacity", (r) => r.overloadedSeconds],
  ["backlog", (r) => r.backlog],
  ["backlog_delivered_share", (r) => r.backlogDelivered],
  ["drain_99_ms", (r) => r.drainMs],
  ["drain_99_bound_ms", (r) => r.drainBoundMs],
];

export function reportCsv(report: Report): string {
  const recoveries = report.policies[0]?.recoveries.length ?? 0;
  const header = [...COLUMNS.map(([name]) => name)];
  for (let k = 1; k <= recoveries; k++) header.push(...RECOVERY_COLUMNS.map(([name]) => `recovery${k}_${name}`));
  const lines = [header.join(",")];
  for (const p of report.policies) {
    const row = COLUMNS.map(([, f]) => cell(f(p)));
    for (const r of p.recoveries) row.push(...RECOVERY_COLUMNS.map(([, f]) => cell(f(r))));
    lines.push(row.join(","));
  }
  return lines.join("\n") + "\n";
}
