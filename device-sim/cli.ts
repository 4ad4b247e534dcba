// `syncward sim`: run a scenario and print the policy table, or --json, or write --html; run
// one shard of a split run (--shard i/n) and merge the shards' files (`syncward sim merge`).
// Bad flags, scenarios and shard files end with one line and exit 2; a failed run exits 1.

import { availableParallelism } from "node:os";
import { readFile, writeFile } from "node:fs/promises";
import { parseFlags } from "../agent/node/command-flags.js";
import { humanDuration } from "./duration.js";
import type { ShardResult } from "./fleet.js";
import { NAMED_SCENARIOS, namedOverrides, namedScenario } from "./named-scenarios.js";
import { ProgressBar } from "./progress-bar.js";
import { buildReport, MergeError, type Report } from "./report.js";
import { reportCsv } from "./report-csv.js";
import { reportHtml } from "./report-html.js";
import { reportTable } from "./report-table.js";
import { POLICY_NAMES, parseScenario, scenarioToJson, ScenarioError, type Scenario } from "./scenario.js";
import { defaultShards, runShards } from "./shard-runner.js";
import { checkExtraPolicies } from "./policies.js";

const HELP = `syncward sim — a fleet of virtual kiosks with flaky links, running the real Agent and core,
and the sync policies (${POLICY_NAMES.join(", ")}) side by side on the same seeded world

Usage:
  syncward sim [SCENARIO] [options]      run and print the policy table
  syncward sim merge FILE... [options]   add up the results of --shard runs
  syncward sim --list                    the built-in scenarios

SCENARIO is a built-in name (${NAMED_SCENARIOS.join(", ")}) or a JSON file; without
one, the defaults. A file may be partial and may start from a built-in: {"extends": "fleet-outage", "devices": 5000}.

Options:
  --devices N          fleet size
  --duration D         simulated time, e.g. 90m, 24h, 7d
  --seed N             seed of the world and the cores (same seed and shards: same report)
  --policies LIST      comma-separated, from ${POLICY_NAMES.join(", ")}
  --json               print the report as JSON instead of the table
  --csv                print the figures as CSV instead of the table (one row per policy)
  --html FILE          also write a self-contained HTML report with charts
  --shards N           split the fleet into N shards (default: one per 1,000 devices); part of
                       what decides the result, like the seed
  --workers N          worker threads running the shards, each policy of a shard apart (default:
                       one per core; 0: this thread). Never changes the result
  --shard I/N          run only shard I of N (1-based) and write its result for \`sim merge\`
  --out FILE           where --shard writes its result (default: stdout)
  --mqtt [URL]         the kiosk policy's connectivity through a real MQTT broker, in real time
                       (embedded aedes, or an mqtt:// broker behind a local relay): the broker
                       is stopped and started, the reconnect spread measured; ≤ 1,000 devices
  --quantum MS         settle promise reactions once per MS of virtual time (default 0: exact)
  --print-scenario     print the resolved scenario as JSON and exit
  --no-progress        no progress bar on stderr
  -h, --help
`;

class UsageError extends Error {}

/** Run `syncward sim …`; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === "merge") return await merge(argv.slice(1));
    return await run(argv);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ScenarioError || error instanceof MergeError) {
      process.stderr.write(`syncward sim: ${firstLine(error.message)}\n`);
      return 2;
    }
    process.stderr.write(`syncward sim: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0]!;
}

/** `--mqtt` takes an optional URL: without one it means the embedded broker. */
function withMqttDefault(argv: string[]): string[] {
  return argv.flatMap((a, i) => (a === "--mqtt" && !/^[a-z]+:\/\//i.test(argv[i + 1] ?? "") ? ["--mqtt=embedded"] : [a]));
}

/** Flags parsed strictly: an unknown or malformed flag is a usage error. */
function parse<R>(run: () => R): R {
  try {
    return run();
  } catch (error) {
    throw new UsageError(firstLine((error as Error).message));
  }
}

function positiveInteger(flag: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

async function loadScenario(name: string | undefined): Promise<Record<string, unknown>> {
  if (name === undefined) return {};
  const named = namedOverrides(name);
  if (named) return { extends: name };
  let text: string;
  try {
    text = await readFile(name, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT"
        ? `no built-in scenario or file named "${name}" (built-in: ${NAMED_SCENARIOS.join(", ")})`
        : `cannot read scenario ${name}: ${code ?? (error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`scenario ${name} is not valid JSON: ${firstLine((error as Error).message)}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ScenarioError(`scenario ${name} must be a JSON object`);
  return raw as Record<string, unknown>;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(() =>
    parseFlags(withMqttDefault(argv), {
      options: {
        mqtt: { type: "string" },
        devices: { type: "string" },
        duration: { type: "string" },
        seed: { type: "string" },
        policies: { type: "string" },
        json: { type: "boolean" },
        csv: { type: "boolean" },
        html: { type: "string" },
        shards: { type: "string" },
        workers: { type: "string" },
        shard: { type: "string" },
        out: { type: "string" },
        quantum: { type: "string" },
        "print-scenario": { type: "boolean" },
        "no-progress": { type: "boolean" },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const format = formatOf(values);
  if (values.list) {
    for (const name of NAMED_SCENARIOS) process.stdout.write(`${name}\n  ${namedScenario(name)!.description}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`one scenario at a time, got ${positionals.map((p) => `"${p}"`).join(" ")}`);
  const source = positionals[0];
  const raw = await loadScenario(source);
  const flags: Record<string, unknown> = {};
  const devices = positiveInteger("devices", values.devices);
  if (devices !== undefined) flags.devices = devices;
  if (values.duration !== undefined) flags.duration = values.duration;
  const seed = positiveInteger("seed", values.seed, 0);
  if (seed !== undefined) flags.seed = seed;
  if (values.policies !== undefined)
    flags.policies = values.policies
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
  let scenario: Scenario;
  try {
    scenario = parseScenario({ ...raw, ...flags }, namedOverrides);
  } catch (error) {
    if (error instanceof ScenarioError && source !== undefined && !namedOverrides(source)) throw new ScenarioError(`scenario ${source}: ${error.message}`);
    throw error;
  }
  await checkExtraPolicies(scenario);
  if (values["print-scenario"]) {
    process.stdout.write(`${JSON.stringify(scenarioToJson(scenario), null, 2)}\n`);
    return 0;
  }
  const quantumMs = positiveInteger("quantum", values.quantum, 0) ?? 0;

  if (values.mqtt !== undefined) {
    if (values.shard !== undefined || values.shards !== undefined || values.workers !== undefined)
      throw new UsageError("--mqtt runs in this process: no --shard, --shards or --workers");
    // Loaded only here: the MQTT client and the broker are not needed by simulated runs.
    const { MQTT_MAX_DEVICES, runMqtt } = await import("./mqtt-mode.js");
    if (scenario.devices > MQTT_MAX_DEVICES)
      throw new UsageError(
        `--mqtt runs at most ${MQTT_MAX_DEVICES.toLocaleString("en-US")} devices (real connections), got ${scenario.devices.toLocaleString("en-US")}`,
      );
    const url = values.mqtt === "embedded" ? undefined : values.mqtt;
    if (url !== undefined && !/^(mqtt|tcp):\/\//.test(url))
      throw new UsageError(`--mqtt needs an mqtt:// URL (the outage is a TCP relay in front of it), got "${url}"`);
    const bar = new ProgressBar(process.stderr, 0, !values["no-progress"] && process.stderr.isTTY === true);
    try {
      const report = await runMqtt(scenario, url, { onProgress: (share) => bar.update(share) });
      return output(report, format, values.html);
    } finally {
      bar.end();
    }
  }
  let shards = positiveInteger("shards", values.shards) ?? defaultShards(scenario.devices);
  let indices = [...Array(shards).keys()];
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard must be I/N with 1 ≤ I ≤ N, got "${values.shard}"`);
    if (values.shards !== undefined && Number(m[2]) !== shards) throw new UsageError(`--shard ${values.shard} and --shards ${shards} disagree`);
    shards = Number(m[2]);
    indices = [Number(m[1]) - 1];
  } else if (values.out !== undefined) {
    throw new UsageError("--out goes with --shard (the full report: --json or --html)");
  }
  if (shards > scenario.devices) throw new UsageError(`${shards} shards for ${scenario.devices} devices: at most one shard per device`);
  // Every core gets a worker; each policy of each shard is a task of its own.
  const workers = positiveInteger("workers", values.workers, 0) ?? (availableParallelism() > 1 ? availableParallelism() : 0);

  const deviceHours = ((scenario.devices * scenario.durationMs) / 3_600_000) * (indices.length / shards);
  const bar = new ProgressBar(process.stderr, deviceHours, !values["no-progress"] && process.stderr.isTTY === true);
  const started = performance.now();
  let results: ShardResult[];
  try {
    results = await runShards(scenario, shards, indices, { workers, quantumMs, onProgress: (share) => bar.update(share) });
  } finally {
    bar.end();
  }
  if (values.shard !== undefined) {
    const text = `${JSON.stringify({ format: SHARD_FORMAT, ...results[0]! })}\n`;
    if (values.out !== undefined) await writeFile(values.out, text);
    else process.stdout.write(text);
    const r = results[0]!;
    process.stderr.write(
      `syncward sim: shard ${r.shard.index + 1}/${r.shard.count} (${r.devices} devices) done in ${humanDuration(r.run.wallMs)}${values.out ? `, written to ${values.out}` : ""}\n`,
    );
    return 0;
  }
  return output(buildReport(results, performance.now() - started), format, values.html);
}

/** Marks a shard result file (and its version). */
const SHARD_FORMAT = "syncward-sim-shard/1";

async function merge(argv: string[]): Promise<number> {
  const { values, positionals } = parse(() =>
    parseFlags(argv, { options: { json: { type: "boolean" }, csv: { type: "boolean" }, html: { type: "string" }, help: { type: "boolean", short: "h" } } }),
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("merge needs the shard result files (from --shard I/N --out FILE)");
  const results: ShardResult[] = [];
  for (const file of positionals) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new MergeError(`cannot read shard result ${file}: ${code ?? firstLine((error as Error).message)}`);
    }
    if (typeof parsed !== "object" || parsed === null || (parsed as { format?: unknown }).format !== SHARD_FORMAT) {
      throw new MergeError(`${file} is not a shard result of syncward sim (${SHARD_FORMAT})`);
    }
    const { format: _format, ...result } = parsed as ShardResult & { format: string };
    results.push(result);
  }
  const wallMs = Math.max(...results.map((r) => r.run.wallMs));
  return output(buildReport(results, wallMs), formatOf(values), values.html);
}

type OutputFormat = "table" | "json" | "csv";

function formatOf(values: { json?: boolean; csv?: boolean }): OutputFormat {
  if (values.json && values.csv) throw new UsageError("--json or --csv, not both");
  return values.json ? "json" : values.csv ? "csv" : "table";
}

async function output(report: Report, format: OutputFormat, html: string | undefined): Promise<number> {
  if (html !== undefined) await writeFile(html, reportHtml(report));
  process.stdout.write(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : format === "csv" ? reportCsv(report) : reportTable(report));
  return 0;
}
