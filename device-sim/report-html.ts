// The report as one self-contained HTML page: the figures as a table and charts drawn as
// inline SVG (delivery-latency CDF per policy, a backend-load panel per policy on one scale,
// the connectivity of sampled devices). No script, font or style sheet is fetched: it opens
// offline, from a file, anywhere.

import { humanDuration } from "./duration.js";
import { clockTime, figureRows, mqttLines, reportTitle, runLine } from "./report-table.js";
import type { Report } from "./report.js";
import type { BuiltinPolicyName, PolicyName } from "./scenario.js";
import type { LinkState } from "./world.js";

const COLORS: Record<BuiltinPolicyName, string> = { kiosk: "#1b9e77", chromium: "#d95f02", workbox: "#7570b3", naive: "#e7298a" };
/** For the scenario file's extra policies, in the report's order. */
const EXTRA_COLORS = ["#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#666666"];

/** Each policy's colour in this report. */
function palette(report: Report): (policy: PolicyName) => string {
  const extras = report.policies.map((p) => p.policy).filter((p) => !(p in COLORS));
  return (policy) => COLORS[policy as BuiltinPolicyName] ?? EXTRA_COLORS[Math.max(0, extras.indexOf(policy)) % EXTRA_COLORS.length]!;
}
const LINK_COLORS: Record<LinkState, string> = { up: "#4caf50", down: "#e53935", captive: "#fb8c00", off: "#9e9e9e" };

const W = 860;
const H = 300;
const M = { left: 64, right: 16, top: 16, bottom: 40 };

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const fmt = (x: number) => (Math.round(x * 10) / 10).toString();

/** An SVG path through points, skipping non-finite ones. */
function path(points: [number, number][]): string {
  let d = "";
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${fmt(x)},${fmt(y)}`;
    pen = true;
  }
  return d;
}

function frame(id: string, title: string, body: string, xLabel: string, yLabel: string, h = H): string {
  return `<figure id="${id}"><figcaption>${esc(title)}</figcaption>
<svg viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(title)}">
<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${h - M.top - M.bottom}" class="plot"/>
${body}
<text x="${(M.left + W - M.right) / 2}" y="${h - 6}" class="axis-label" text-anchor="middle">${esc(xLabel)}</text>
<text x="14" y="${(M.top + h - M.bottom) / 2}" class="axis-label" text-anchor="middle" transform="rotate(-90 14 ${(M.top + h - M.bottom) / 2})">${esc(yLabel)}</text>
</svg></figure>`;
}

/** An x-axis tick label: centred on its tick, but kept inside the chart at both ends. */
function xTick(x: number, y: number, label: string): string {
  const anchor = x - M.left < 24 ? "start" : W - M.right - x < 24 ? "end" : "middle";
  return `<text x="${fmt(x)}" y="${fmt(y)}" text-anchor="${anchor}" class="tick x-tick">${esc(label)}</text>`;
}

/** The figures table as an HTML table, one column per policy. */
function figuresTable(report: Report): string {
  const { header, rows } = figureRows(report);
  const head = header.map((cell, i) => (i === 0 ? "<th></th>" : `<th scope="col">${esc(cell)}</th>`)).join("");
  const body = rows
    .map((row) => `<tr>${row.map((cell, i) => (i === 0 ? `<th scope="row">${esc(cell.trim())}</th>` : `<td>${esc(cell)}</td>`)).join("")}</tr>`)
    .join("\n");
  const mqtt = mqttLines(report);
  return `<table id="figures"><caption>${esc(reportTitle(report))}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>
${mqtt.length > 0 ? `<pre id="mqtt">${esc(mqtt.join("\n").trim())}</pre>\n` : ""}<p class="run">${esc(runLine(report))}</p>`;
}

function legend(policies: PolicyName[], color: (policy: PolicyName) => string): string {
  return `<p class="legend">${policies.map((p) => `<span><i style="background:${color(p)}"></i>${esc(p)}</span>`).join("")}</p>`;
}

function latencyChart(report: Report): string {
  const series = Object.entries(report.charts.latencyCdf) as [PolicyName, [number, number][]][];
  const color = palette(report);
  const all = series.flatMap(([, pts]) => pts.map(([ms]) => ms)).filter((ms) => ms > 0);
  const lo = Math.max(1, all.length ? Math.min(...all) : 1);
  const hi = Math.max(lo * 10, all.length ? Math.max(...all) : 10);
  const l0 = Math.log10(lo),
    l1 = Math.log10(hi);
  const x = (ms: number) => M.left + ((Math.log10(Math.max(ms, lo)) - l0) / (l1 - l0)) * (W - M.left - M.right);
  const y = (share: number) => H - M.bottom - share * (H - M.top - M.bottom);
  let body = "";
  for (const ms of [1, 10, 100, 1000, 10_000, 60_000, 600_000, 3_600_000, 36_000_000, 86_400_000, 864_000_000]) {
    if (ms < lo || ms > hi) continue;
    body += `<line x1="${fmt(x(ms))}" x2="${fmt(x(ms))}" y1="${M.top}" y2="${H - M.bottom}" class="grid"/>${xTick(x(ms), H - M.bottom + 14, humanDuration(ms))}`;
  }
  for (const q of [0, 0.5, 0.95, 1])
    body += `<line x1="${M.left}" x2="${W - M.right}" y1="${fmt(y(q))}" y2="${fmt(y(q))}" class="grid"/><text x="${M.left - 6}" y="${fmt(y(q) + 4)}" text-anchor="end" class="tick">${q * 100}%</text>`;
  series.forEach(([policy, pts], k) => {
    // A CDF is a staircase: each point holds until the next bucket.
    const steps: [number, number][] = [[x(lo), y(0)]];
    let prev = 0;
    for (const [ms, share] of pts) {
      steps.push([x(ms), y(prev)], [x(ms), y(share)]);
      prev = share;
    }
    steps.push([x(hi), y(prev)]);
    body += `<path d="${path(steps)}" class="series" data-policy="${esc(policy)}" stroke="${color(policy)}"/>`;
    // Its name on the line, each policy at another height so that the names do not collide.
    const at = pts.find(([, share]) => share >= 0.35 + 0.12 * (k % 5));
    if (at)
      body += `<text x="${fmt(x(at[0]) - 4)}" y="${fmt(y(at[1]) - 4)}" text-anchor="end" class="line-label" fill="${color(policy)}">${esc(policy)}</text>`;
  });
  return (
    frame(
      "latency-cdf",
      "Register → delivery: share of delivered messages within a time (log scale)",
      body,
      "time from register() to the backend",
      "delivered",
    ) +
    legend(
      series.map(([p]) => p),
      color,
    )
  );
}

/** Backend load, one panel per policy on one scale: drawn over each other, the last hid the rest. */
function loadChart(report: Report): string {
  const { secondsPerPoint, series } = report.charts.load;
  const entries = Object.entries(series) as [PolicyName, { mean: number[]; peak: number[] }][];
  const color = palette(report);
  const points = Math.max(1, ...entries.map(([, s]) => s.peak.length));
  const top = Math.max(report.capacityRps * 1.2, ...entries.flatMap(([, s]) => s.peak), 1);
  const h = 190;
  const ly = (v: number) => Math.log10(1 + v);
  const x = (i: number) => M.left + (i / Math.max(1, points - 1)) * (W - M.left - M.right);
  const y = (v: number) => h - M.bottom - (ly(v) / ly(top)) * (h - M.top - M.bottom);
  const hours = report.durationMs / 3_600_000;
  const everyH = hours <= 6 ? 1 : hours <= 48 ? 3 : 24;
  let axes = "";
  for (let hour = 0; hour <= hours; hour += everyH) {
    const xi = x((hour * 3600) / secondsPerPoint);
    axes += `<line x1="${fmt(xi)}" x2="${fmt(xi)}" y1="${M.top}" y2="${h - M.bottom}" class="grid"/>${xTick(xi, h - M.bottom + 14, clockTime(hour * 3_600_000))}`;
  }
  for (const v of [0, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000]) {
    if (v > top) break;
    axes += `<line x1="${M.left}" x2="${W - M.right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" class="grid"/><text x="${M.left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end" class="tick">${v.toLocaleString("en-US")}</text>`;
  }
  axes += `<line x1="${M.left}" x2="${W - M.right}" y1="${fmt(y(report.capacityRps))}" y2="${fmt(y(report.capacityRps))}" class="capacity"/><text x="${W - M.right - 4}" y="${fmt(y(report.capacityRps) - 4)}" text-anchor="end" class="tick">capacity ${fmt(report.capacityRps)}/s</text>`;
  for (const r of report.policies[0]?.recoveries ?? []) {
    const xr = x(r.at / 1000 / secondsPerPoint);
    axes += `<line x1="${fmt(xr)}" x2="${fmt(xr)}" y1="${M.top}" y2="${h - M.bottom}" class="recovery"/><text x="${fmt(xr + 3)}" y="${M.top + 12}" class="tick">${r.kind} back</text>`;
  }
  const title = `Backend load: peak requests/s in each ${secondsPerPoint === 1 ? "second" : humanDuration(secondsPerPoint * 1000)} (log scale), per policy`;
  const panels = entries.map(([policy, s]) => {
    const line = `<path d="${path(s.peak.map((v, i) => [x(i), y(v)]))}" class="series" data-policy="${esc(policy)}" stroke="${color(policy)}"/>`;
    const label = `<text x="${M.left + 6}" y="${M.top + 14}" class="line-label" fill="${color(policy)}">${esc(policy)}</text>`;
    return frame(`backend-load-${panelId(policy)}`, policy, axes + line + label, "time of day (from the start of the run)", "requests/s", h);
  });
  return `<section id="backend-load"><h2>${esc(title)}</h2>\n${panels.join("\n")}</section>`;
}

/** A policy name as part of an element id. */
const panelId = (policy: PolicyName): string => policy.replace(/[^a-z0-9-]/gi, "_");

function connectivityChart(report: Report): string {
  const traces = report.charts.connectivity;
  const rowH = 14;
  const height = M.top + traces.length * rowH + M.bottom;
  const x = (t: number) => M.left + (t / report.durationMs) * (W - M.left - M.right);
  let body = "";
  traces.forEach(({ device, trace }, row) => {
    const top = M.top + row * rowH;
    body += `<text x="${M.left - 6}" y="${top + rowH - 4}" text-anchor="end" class="tick">#${device}</text>`;
    trace.forEach(([at, state], k) => {
      const end = trace[k + 1]?.[0] ?? report.durationMs;
      if (end <= at) return;
      body += `<rect x="${fmt(x(at))}" y="${top + 1}" width="${fmt(Math.max(0.5, x(end) - x(at)))}" height="${rowH - 2}" fill="${LINK_COLORS[state]}" class="link-${state}"/>`;
    });
  });
  const hours = report.durationMs / 3_600_000;
  const everyH = hours <= 6 ? 1 : hours <= 48 ? 3 : 24;
  for (let h = 0; h <= hours; h += everyH) body += xTick(x(h * 3_600_000), height - M.bottom + 14, clockTime(h * 3_600_000));
  const legendHtml = `<p class="legend">${(Object.keys(LINK_COLORS) as LinkState[]).map((s) => `<span><i style="background:${LINK_COLORS[s]}"></i>${s === "captive" ? "captive portal (link up, backend unreachable)" : s === "off" ? "rebooting" : `link ${s}`}</span>`).join("")}</p>`;
  return `<figure id="connectivity"><figcaption>Connectivity of ${traces.length} sampled devices</figcaption>
<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="connectivity of sampled devices">${body}</svg></figure>${legendHtml}`;
}

export function reportHtml(report: Report): string {
  const s = report.scenario;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>syncward sim: ${esc(String(s.name))}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:900px;color:#222;padding:0 12px}
h1{font-size:20px;margin:0 0 4px} p.what{color:#555;margin:0 0 16px}
pre{background:#f6f6f6;padding:12px;overflow:auto;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
figure{margin:24px 0 4px} figcaption{font-weight:600;margin-bottom:6px}
svg{max-width:100%;height:auto;background:#fff}
.plot{fill:#fafafa;stroke:#ccc}.grid{stroke:#e4e4e4}.tick{font-size:11px;fill:#555}.axis-label{font-size:12px;fill:#333}
.series{fill:none;stroke-width:1.8}.capacity{stroke:#000;stroke-dasharray:6 4}.recovery{stroke:#999;stroke-dasharray:2 3}
.line-label{font-size:12px;font-weight:600}
h2{font-size:15px;margin:28px 0 0}
table{border-collapse:collapse;font-size:13px;margin:8px 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding-bottom:6px}
th,td{padding:3px 10px;border-bottom:1px solid #e4e4e4}
td,thead th{text-align:right;white-space:nowrap} tbody th{text-align:left;font-weight:normal}
p.run{color:#777;font-size:12px}
.legend span{margin-right:16px;white-space:nowrap}.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border-radius:2px}
</style></head><body>
<h1>syncward sim: ${esc(String(s.name))}</h1>
<p class="what">${esc(String(s.description ?? ""))}</p>
${figuresTable(report)}
${latencyChart(report)}
${loadChart(report)}
${connectivityChart(report)}
<details><summary>Scenario</summary><pre>${esc(JSON.stringify(s, null, 2))}</pre></details>
</body></html>
`;
}
