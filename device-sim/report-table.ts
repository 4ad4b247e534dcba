// The report as a terminal table: one column per policy, one row per figure. The rows are
// shared with the HTML report's table.

import { humanDuration } from "./duration.js";
import { DROP_REASONS, type DropReason } from "./metrics.js";
import type { PolicyReport, Report } from "./report.js";

const DROP_LABELS: Record<DropReason, string> = {
  attemptsExhausted: "  attempts exhausted",
  expired: "  retention expired",
  httpErrorAsSuccess: "  HTTP error taken as sent",
  lostInCrash: "  lost in a crash",
};

const count = (n: number) => (Number.isNaN(n) ? "–" : Math.round(n).toLocaleString("en-US"));
const share = (n: number, of: number) => (of === 0 ? "" : ` (${((100 * n) / of).toFixed(n === 0 || (100 * n) / of >= 1 ? 0 : 2)}%)`);

/** Virtual time as a clock reading from the start of the run: "06:30", "d2 06:30". */
export function clockTime(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const day = Math.floor(minutes / 1440);
  const hh = String(Math.floor((minutes % 1440) / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `${day > 0 ? `d${day + 1} ` : ""}${hh}:${mm}`;
}

/** The figures as the table shows them: a header of policy names and one row per figure. */
export interface FigureRows {
  header: string[];
  rows: string[][];
}

export function figureRows(report: Report): FigureRows {
  const ps = report.policies;
  const rows: string[][] = [];
  const row = (label: string, f: (p: PolicyReport) => string) => rows.push([label, ...ps.map(f)]);

  row("registered", (p) => count(p.registered));
  row("delivered", (p) => count(p.delivered) + share(p.delivered, p.registered));
  row("dropped", (p) => count(p.dropped) + share(p.dropped, p.registered));
  for (const r of DROP_REASONS) if (ps.some((p) => p.droppedBy[r] > 0)) row(DROP_LABELS[r], (p) => count(p.droppedBy[r]));
  row("duplicated", (p) => count(p.duplicated));
  row("pending at end", (p) => count(p.pending));
  row("  queued over 1 h before the end", (p) => count(p.pendingOld));
  row("latency p50", (p) => humanDuration(p.latencyMs.p50));
  row("latency p95", (p) => humanDuration(p.latencyMs.p95));
  row("latency p99", (p) => humanDuration(p.latencyMs.p99));
  row("latency p99, undelivered = ∞", (p) => (p.latencyP99AllMs === Infinity ? "∞" : humanDuration(p.latencyP99AllMs)));
  row("reconnect → attempt p50", (p) => humanDuration(p.reconnectToAttemptMs.p50));
  row("reconnect → attempt p95", (p) => humanDuration(p.reconnectToAttemptMs.p95));
  row("reconnects with no attempt", (p) => count(p.reconnectToAttemptMs.missed));
  if (ps.some((p) => p.inFlightAtCrash > 0)) row("attempts cut short by a crash", (p) => count(p.inFlightAtCrash));
  row("attempts per delivery", (p) => (Number.isNaN(p.attemptsPerDelivery) ? "–" : p.attemptsPerDelivery.toFixed(2)));
  row("wake-ups per device-hour", (p) => p.wakeupsPerDeviceHour.toFixed(2));
  row("backend peak rps", (p) => count(p.peakRps));
  (ps[0]?.recoveries ?? []).forEach((r, k) => {
    const when = recoveryLabel(report, r.kind, r.at);
    row(`${when}: peak rps`, (p) => count(p.recoveries[k]!.peakRps));
    row(`${when}: s over capacity`, (p) => {
      const x = p.recoveries[k]!;
      return x.overloadedSeconds === 0 ? "no" : `${x.overloadedSeconds} s, last +${humanDuration(x.overloadedForMs)}`;
    });
    row(`${when}: backlog`, (p) => count(p.recoveries[k]!.backlog));
    row(`${when}: 99 % drained in`, (p) => {
      const x = p.recoveries[k]!;
      if (x.backlog === 0) return "–";
      if (x.drainMs === null) return `never (${(100 * x.backlogDelivered).toFixed(1)} %)`;
      // Against a bound under a second the ratio says nothing: a handful of messages.
      if (x.drainBoundMs < 1000) return humanDuration(x.drainMs);
      return `${humanDuration(x.drainMs)}, ${(x.drainMs / x.drainBoundMs).toFixed(1)}× ${humanDuration(x.drainBoundMs)}`;
    });
  });
  if (ps.some((p) => p.problems > 0)) row("agent problems", (p) => count(p.problems));
  return { header: ["", ...ps.map((p) => p.policy)], rows };
}

/** "backend back 06:30" (or "+1.5 h" in runs under two hours). */
export function recoveryLabel(report: Report, kind: string, at: number): string {
  return `${kind} back ${report.durationMs < 7_200_000 ? `+${humanDuration(at)}` : clockTime(at)}`;
}

/** The report's title line: scenario, fleet, duration, seed and the backend's capacity. */
export function reportTitle(report: Report): string {
  const s = report.scenario;
  return `${String(s.name)} · ${count(report.devices)} devices · ${humanDuration(report.durationMs)} · seed ${String(s.seed)} · backend ${Number.isInteger(report.capacityRps) ? count(report.capacityRps) : report.capacityRps.toFixed(1)} requests/s`;
}

/** The run's own speed and memory, one line. */
export function runLine(report: Report): string {
  const run = report.run;
  return (
    `run: ${count((report.devices * report.durationMs) / 3_600_000)} device-hours in ${run.wallSeconds.toFixed(1)} s ` +
    `(${count(run.deviceHoursPerSecond)} device-hours/s), ${count(run.events)} events, peak RSS ${count(run.peakRssMB)} MB, ${run.shards} shard${run.shards > 1 ? "s" : ""}`
  );
}

export function reportTable(report: Report): string {
  const { header, rows } = figureRows(report);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("   ")
      .trimEnd();
  return [reportTitle(report), "", line(header), ...rows.map(line), ...mqttLines(report), "", runLine(report)].join("\n") + "\n";
}

/** The real-broker figures of an --mqtt run (none otherwise), one line each. */
export function mqttLines(report: Report): string[] {
  const m = report.mqtt;
  if (!m) return [];
  const q = (x: { p50: number; p95: number; max: number; samples: number }) =>
    `p50 ${humanDuration(x.p50)}, p95 ${humanDuration(x.p95)}, max ${humanDuration(x.max)} (${x.samples})`;
  return [
    "",
    `real MQTT broker (${m.broker}), ${count(m.devices)} devices: ${count(m.connected)} online before the outage, connected in ${q(m.connectMs)}`,
    `broker stopped at +${humanDuration(m.stoppedAt)}, started again at +${humanDuration(m.startedAt)} (down ${humanDuration(m.startedAt - m.stoppedAt)})`,
    `  reconnected   ${count(m.reconnected)} devices, ${q(m.reconnectMs)} after the start; peak ${count(m.peakReconnectsPerSecond)} reconnects/s`,
    `  online again  ${q(m.onlineMs)} (the fusion's settle time included)`,
    `  first attempt ${q(m.firstAttemptMs)}`,
  ];
}
