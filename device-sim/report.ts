// The report of a run: the shards' results added up (from worker threads on one machine or
// from `--shard i/n` files of several), and the figures derived from the sums: percentiles,
// the backend's herd after each fleet-wide recovery, rates per device-hour, and the series
// the HTML charts draw. Everything outside `run` is a pure function of the scenario, its
// seed and the shard count.

import { Histogram } from "./histogram.js";
import { DROP_REASONS, type BacklogJson, type DropReason } from "./metrics.js";
import type { ShardResult } from "./fleet.js";
import { POLICY_NAMES, type OutageKind, type PolicyName } from "./scenario.js";
import type { LinkState } from "./world.js";
import type { MqttFigures } from "./mqtt-mode.js";

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  samples: number;
}

export interface Recovery {
  kind: OutageKind;
  /** When the outage ended, ms from the start. */
  at: number;
  /** Highest requests/s reaching the backend in the hour after (or until the next outage starts). */
  peakRps: number;
  /**
   * The herd and its echoes: the seconds of that window in which more requests came than the
   * capacity (retries in lockstep come back minutes later: Chromium's at +5 and +20 min).
   */
  overloadedSeconds: number;
  /** From the recovery to the end of the last overloaded second of the window (0: none). */
  overloadedForMs: number;
  /** Messages waiting for the backend when the outage ended. */
  backlog: number;
  /** Share of them that reached the backend by the end of the run. */
  backlogDelivered: number;
  /**
   * From the recovery until 99 % of them had reached the backend (to the histogram's 2 %), or
   * null when fewer ever did. The last 1 % are devices still behind a portal, rebooting, …
   */
  drainMs: number | null;
  /** The physical limit of that: 99 % of the backlog ÷ capacity. */
  drainBoundMs: number;
}

/** Drain time is measured to this share of the backlog. */
export const DRAINED_SHARE = 0.99;

export interface PolicyReport {
  policy: PolicyName;
  registered: number;
  delivered: number;
  dropped: number;
  droppedBy: Record<DropReason, number>;
  duplicated: number;
  pending: number;
  /** Pending at the end though queued more than an hour before it. */
  pendingOld: number;
  /** Registration (message queued) to its first arrival at the backend. */
  latencyMs: Quantiles;
  /** The 99th percentile over every message queued, an undelivered one counting as infinitely late. */
  latencyP99AllMs: number;
  /** A device's backend becoming reachable again to its first attempt for older work. */
  reconnectToAttemptMs: Quantiles & { missed: number };
  attempts: number;
  /** Attempts a crash cut short (in-flight work lost). */
  inFlightAtCrash: number;
  attemptsPerDelivery: number;
  wakeupsPerDeviceHour: number;
  peakRps: number;
  recoveries: Recovery[];
  /** Problems the agents reported (should be 0), and the first of them. */
  problems: number;
  firstProblem?: string;
}

/** The JSON report's format and version: readers check it before reading the rest. */
export const REPORT_FORMAT = "syncward-sim-report/1";

export interface Report {
  format: typeof REPORT_FORMAT;
  scenario: Record<string, unknown>;
  devices: number;
  durationMs: number;
  capacityRps: number;
  policies: PolicyReport[];
  charts: {
    /** Per policy, [ms, share delivered within ms] points. */
    latencyCdf: Partial<Record<PolicyName, [number, number][]>>;
    /** Backend arrivals: seconds per point, and per policy the mean and the peak rps of each point. */
    load: { secondsPerPoint: number; series: Partial<Record<PolicyName, { mean: number[]; peak: number[] }>> };
    connectivity: { device: number; trace: [number, LinkState][] }[];
  };
  run: RunFigures;
  /** Present for --mqtt runs: the real broker's outage and how the fleet came back. */
  mqtt?: MqttFigures;
}

export interface RunFigures {
  shards: number;
  wallSeconds: number;
  deviceHoursPerSecond: number;
  /** The largest resident set any shard's process saw, in MB. */
  peakRssMB: number;
  events: number;
}

export class MergeError extends Error {}

/** How long after a recovery its herd is looked for (unless the next outage comes first). */
export const RECOVERY_WINDOW_MS = 3_600_000;
const LOAD_POINTS = 1440;

function quantiles(h: Histogram): Quantiles {
  const round = (x: number) => (Number.isNaN(x) ? NaN : Math.round(x));
  return { p50: round(h.quantile(0.5)), p95: round(h.quantile(0.95)), p99: round(h.quantile(0.99)), max: round(h.max), samples: h.count };
}

/** The 99th percentile over `registered` messages of which `delivered` took these latencies, the rest infinitely long. */
function p99OfAll(delivered: Histogram, registered: number): number {
  if (registered === 0) return NaN;
  const q = (0.99 * registered) / delivered.count;
  return q > 1 ? Infinity : Math.round(delivered.quantile(q));
}

/** Add up the shards of one run; `wallMs` is the run's own duration (shards may run in parallel). */
export function buildReport(shards: ShardResult[], wallMs: number): Report {
  if (shards.length === 0) throw new MergeError("no shard results to merge");
  const first = shards[0]!;
  const count = first.shard.count;
  const scenarioText = JSON.stringify(first.scenario);
  const seen = new Set<number>();
  for (const s of shards) {
    if (JSON.stringify(s.scenario) !== scenarioText) throw new MergeError(`shard ${s.shard.index + 1}/${s.shard.count} ran another scenario or seed`);
    if (s.shard.count !== count) throw new MergeError(`shard ${s.shard.index + 1}/${s.shard.count} is from a split into ${s.shard.count}, not ${count}`);
    if (seen.has(s.shard.index)) throw new MergeError(`shard ${s.shard.index + 1}/${count} given twice`);
    seen.add(s.shard.index);
  }
  if (seen.size !== count) {
    const missing = [...Array(count).keys()].filter((i) => !seen.has(i)).map((i) => `${i + 1}/${count}`);
    throw new MergeError(`missing shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  }
  const ordered = [...shards].sort((a, b) => a.shard.index - b.shard.index);
  const devices = ordered.reduce((n, s) => n + s.devices, 0);
  const capacity = ordered.reduce((n, s) => n + s.capacity, 0);
  const durationMs = first.durationMs;
  const deviceHours = (devices * durationMs) / 3_600_000;
  const recoveries = first.recoveries;
  const secondsPerPoint = Math.max(1, Math.ceil(durationMs / 1000 / LOAD_POINTS));

  const report: Report = {
    format: REPORT_FORMAT,
    scenario: first.scenario,
    devices,
    durationMs,
    capacityRps: capacity,
    policies: [],
    charts: { latencyCdf: {}, load: { secondsPerPoint, series: {} }, connectivity: ordered.flatMap((s) => s.samples).sort((a, b) => a.device - b.device) },
    run: {
      shards: count,
      wallSeconds: wallMs / 1000,
      deviceHoursPerSecond: deviceHours / Math.max(wallMs / 1000, 1e-9),
      peakRssMB: Math.max(...ordered.map((s) => s.run.peakRssBytes)) / 1e6,
      events: ordered.reduce((n, s) => n + s.run.events, 0),
    },
  };

  const extra = first.scenario.extraPolicies;
  for (const policy of [...POLICY_NAMES, ...Object.keys(typeof extra === "object" && extra !== null ? extra : {})]) {
    const parts = ordered.map((s) => s.policies[policy]).filter((p) => p !== undefined);
    if (parts.length === 0) continue;
    if (parts.length !== ordered.length) throw new MergeError(`policy ${policy} is missing from some shards`);
    const sum = (f: (p: (typeof parts)[number]) => number) => parts.reduce((n, p) => n + f(p), 0);
    const latency = new Histogram();
    const reconnect = new Histogram();
    for (const p of parts) {
      latency.merge(p.latency);
      reconnect.merge(p.reconnect);
    }
    const arrivals = new Float64Array(parts[0]!.arrivals.length);
    for (const p of parts) p.arrivals.forEach((n, i) => (arrivals[i]! += n));
    const droppedBy = Object.fromEntries(DROP_REASONS.map((r) => [r, sum((p) => p.dropped[r])])) as Record<DropReason, number>;
    const delivered = sum((p) => p.delivered);
    const attempts = sum((p) => p.attempts);
    const problems = sum((p) => p.problems);
    const firstProblem = parts.find((p) => p.firstProblem)?.firstProblem;
    report.policies.push({
      policy,
      registered: sum((p) => p.registered),
      delivered,
      dropped: DROP_REASONS.reduce((n, r) => n + droppedBy[r], 0),
      droppedBy,
      duplicated: sum((p) => p.duplicated),
      pending: sum((p) => p.pending),
      pendingOld: sum((p) => p.pendingOld ?? 0),
      latencyMs: quantiles(latency),
      latencyP99AllMs: p99OfAll(
        latency,
        sum((p) => p.registered),
      ),
      reconnectToAttemptMs: { ...quantiles(reconnect), missed: sum((p) => p.reconnectMissed) },
      attempts,
      inFlightAtCrash: sum((p) => p.inFlightAtCrash),
      attemptsPerDelivery: delivered === 0 ? NaN : attempts / delivered,
      wakeupsPerDeviceHour: deviceHours === 0 ? 0 : sum((p) => p.wakeups) / deviceHours,
      peakRps: arrivals.reduce((m, n) => Math.max(m, n), 0),
      recoveries: recoveries.map((r, k) => ({
        ...recoveryFigures(arrivals, capacity, r, recoveries[k + 1]?.at ?? Infinity),
        ...drainFigures(
          parts.map((p) => p.backlogs[k]),
          capacity,
        ),
      })),
      problems,
      ...(firstProblem ? { firstProblem } : {}),
    });
    report.charts.latencyCdf[policy] = latency.cdf().map(([ms, share]) => [Math.round(ms), Number(share.toFixed(5))]);
    report.charts.load.series[policy] = downsample(arrivals, secondsPerPoint);
  }
  return report;
}

type DrainFigures = Pick<Recovery, "backlog" | "backlogDelivered" | "drainMs" | "drainBoundMs">;

/** How the shards' backlogs of one recovery drained, against the backend's limit. */
function drainFigures(parts: (BacklogJson | undefined)[], capacity: number): DrainFigures {
  let backlog = 0;
  const arrivals = new Histogram();
  for (const b of parts) {
    if (!b) continue;
    backlog += b.messages;
    arrivals.merge(b.arrivals);
  }
  const delivered = arrivals.count;
  const needed = Math.ceil(DRAINED_SHARE * backlog);
  return {
    backlog,
    backlogDelivered: backlog === 0 ? 1 : delivered / backlog,
    drainMs: backlog === 0 ? 0 : delivered >= needed ? Math.round(arrivals.quantile(needed / delivered)) : null,
    drainBoundMs: Math.round((needed / capacity) * 1000),
  };
}

function recoveryFigures(arrivals: Float64Array, capacity: number, r: { kind: OutageKind; at: number }, nextAt: number): Omit<Recovery, keyof DrainFigures> {
  const from = Math.floor(r.at / 1000);
  const to = Math.min(arrivals.length, Math.ceil(Math.min(r.at + RECOVERY_WINDOW_MS, nextAt) / 1000));
  let peak = 0;
  let overloaded = 0;
  let last = -1;
  for (let i = from; i < to; i++) {
    const n = arrivals[i]!;
    if (n > peak) peak = n;
    if (n > capacity) {
      overloaded++;
      last = i;
    }
  }
  return { kind: r.kind, at: r.at, peakRps: peak, overloadedSeconds: overloaded, overloadedForMs: last < 0 ? 0 : Math.max(0, (last + 1) * 1000 - r.at) };
}

function downsample(arrivals: Float64Array, secondsPerPoint: number): { mean: number[]; peak: number[] } {
  const mean: number[] = [];
  const peak: number[] = [];
  for (let i = 0; i < arrivals.length; i += secondsPerPoint) {
    let total = 0;
    let top = 0;
    const end = Math.min(arrivals.length, i + secondsPerPoint);
    for (let j = i; j < end; j++) {
      total += arrivals[j]!;
      if (arrivals[j]! > top) top = arrivals[j]!;
    }
    mean.push(Number((total / (end - i)).toFixed(3)));
    peak.push(top);
  }
  return { mean, peak };
}

/** The report without the run's own speed and memory: what must be equal for equal seeds. */
export function outcome(report: Report): Omit<Report, "run"> {
  const { run: _run, ...rest } = report;
  return rest;
}
