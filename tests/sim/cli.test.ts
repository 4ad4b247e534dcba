// `syncward sim`: bad scenario files and flags end with exit 2 and one line naming the
// problem; shards run separately and merged give the report of the same split run in one go.
import t from "tap";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../device-sim/cli.js";
import { outcome, type Report } from "../../device-sim/report.js";

async function sim(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

t.test("bad scenario files and flags: exit 2 and one line", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-sim-cli-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const cases: [string, string[], RegExp][] = [
    ["not JSON", [await file("a.json", "{ devices: 10 ")], /a\.json is not valid JSON/],
    ["not an object", [await file("b.json", "[1, 2]")], /must be a JSON object/],
    ["unknown field", [await file("c.json", '{"devics": 10}')], /unknown field devics \(known: /],
    ["nested unknown field", [await file("d.json", '{"link": {"up": {"mean": "1h", "shap": 1}}}')], /unknown field link\.up\.shap/],
    ["bad duration", [await file("e.json", '{"link": {"down": {"median": "ninety seconds"}}}')], /link\.down\.median must be a duration/],
    ["bad number", [await file("f.json", '{"backend": {"errorRate": 2}}')], /backend\.errorRate must be a number from 0 to 1, got 2/],
    ["unknown policy", [await file("g.json", '{"policies": ["kiosk", "safari"]}')], /policies must be a list of distinct names/],
    [
      "bad fleet outage",
      [await file("h.json", '{"fleet": [{"outage": "dns", "at": "1h", "for": "5m"}]}')],
      /fleet\[0\]\.outage must be one of backend, broker, link/,
    ],
    [
      "fraction on a backend outage",
      [await file("i.json", '{"fleet": [{"outage": "backend", "at": "1h", "for": "5m", "fraction": 0.5}]}')],
      /fraction applies to link outages only/,
    ],
    ["unknown extends", [await file("j.json", '{"extends": "mars-rover"}')], /extends must name a built-in scenario/],
    ["p99 below median", [await file("k.json", '{"latency": {"median": "2s", "p99": "1s"}}')], /latency\.p99 must not be below latency\.median/],
    ["missing file", [join(dir, "nope.json")], /no built-in scenario or file named/],
    [
      "extra policy out of range",
      [await file("l.json", '{"extraPolicies": {"x": {"preset": "kiosk", "policy": {"maxAttempts": 999}}}}')],
      /extraPolicies\.x\.policy: the core refuses maxAttempts=999/,
    ],
    ["bad --devices", ["--devices", "12x"], /--devices must be a whole number/],
    ["bad --duration", ["--duration", "forever"], /duration must be a duration/],
    ["bad --policies", ["--policies", "kiosk,kiosk"], /policies must be a list of distinct names/],
    ["bad --shard", ["--shard", "3/2"], /--shard must be I\/N/],
    ["unknown flag", ["--turbo"], /Unknown option '--turbo'/],
    ["two scenarios", ["fleet-outage", "store-wifi"], /one scenario at a time/],
  ];
  for (const [what, args, reason] of cases) {
    const { code, out, err } = await sim(args);
    t.equal(code, 2, `${what}: exit 2`);
    t.equal(out, "", `${what}: nothing on stdout`);
    t.match(err, /^syncward sim: [^\n]+\n$/, `${what}: one line`);
    t.match(err, reason, `${what}: ${err.trim()}`);
  }
});

t.test("--help, --list and --print-scenario", async (t) => {
  t.match((await sim(["--help"])).out, /--shard I\/N/);
  t.match((await sim(["--list"])).out, /commute-cellular[\s\S]*store-wifi[\s\S]*fleet-outage/);
  const printed = await sim(["fleet-outage", "--devices", "77", "--print-scenario"]);
  t.equal(printed.code, 0);
  const json = JSON.parse(printed.out) as Record<string, unknown>;
  t.equal(json.devices, 77);
  t.equal(json.name, "fleet-outage");
});

t.test("shards run apart and merged equal the same split run in one go", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-sim-merge-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const common = ["store-wifi", "--devices", "30", "--duration", "2h", "--seed", "3", "--no-progress"];
  const whole = await sim([...common, "--shards", "2", "--workers", "0", "--json"]);
  t.equal(whole.code, 0, whole.err);
  const a = join(dir, "a.json");
  const b = join(dir, "b.json");
  t.equal((await sim([...common, "--shard", "2/2", "--out", b])).code, 0);
  t.equal((await sim([...common, "--shard", "1/2", "--out", a])).code, 0);
  const html = join(dir, "r.html");
  const merged = await sim(["merge", b, a, "--json", "--html", html]);
  t.equal(merged.code, 0, merged.err);
  t.same(outcome(JSON.parse(merged.out) as Report), outcome(JSON.parse(whole.out) as Report), "the same report");
  t.match(await readFile(html, "utf8"), /<svg/);

  const missing = await sim(["merge", a]);
  t.equal(missing.code, 2);
  t.match(missing.err, /^syncward sim: missing shard 2\/2\n$/);
  const twice = await sim(["merge", a, a, b]);
  t.match(twice.err, /shard 1\/2 given twice/);
  const other = join(dir, "other.json");
  t.equal((await sim(["store-wifi", "--devices", "30", "--duration", "2h", "--seed", "4", "--shard", "2/2", "--out", other, "--no-progress"])).code, 0);
  t.match((await sim(["merge", a, other])).err, /ran another scenario or seed/);
  const junk = join(dir, "junk.json");
  await writeFile(junk, '{"hello": 1}');
  t.match((await sim(["merge", junk])).err, /junk\.json is not a shard result of syncward sim/);
});

t.test("the table", async (t) => {
  const { code, out } = await sim(["fleet-outage", "--devices", "20", "--duration", "7h", "--policies", "kiosk,chromium", "--no-progress"]);
  t.equal(code, 0);
  t.match(out, /^fleet-outage · 20 devices · 7 h · seed 1/);
  t.match(out, /\n +kiosk +chromium\n/);
  t.match(out, /backend back 06:30: peak rps/);
  t.match(out, /run: 140 device-hours in/);
});

t.test("--csv: a row per policy of raw numbers; --json: a versioned report; not both", async (t) => {
  const args = ["fleet-outage", "--devices", "20", "--duration", "7h", "--policies", "kiosk,chromium", "--no-progress"];
  const csv = await sim([...args, "--csv"]);
  t.equal(csv.code, 0, csv.err);
  const [header, ...rows] = csv.out
    .trimEnd()
    .split("\n")
    .map((line) => line.split(","));
  t.same(
    rows.map((r) => r[0]),
    ["kiosk", "chromium"],
    "a row per policy",
  );
  t.ok(
    rows.every((r) => r.length === header!.length),
    "every row as wide as the header",
  );
  const column = (name: string) => header!.indexOf(name);
  t.ok(column("recovery1_drain_99_bound_ms") > 0 && column("latency_p99_ms") > 0, "recoveries and latencies have columns");
  const json = JSON.parse((await sim([...args, "--json"])).out) as { format: string; policies: { registered: number }[] };
  t.equal(json.format, "syncward-sim-report/1", "the JSON report names its format");
  t.same(
    rows.map((r) => Number(r[column("registered")])),
    json.policies.map((p) => p.registered),
    "the same figures as the JSON",
  );
  const both = await sim([...args, "--json", "--csv"]);
  t.equal(both.code, 2);
  t.match(both.err, /^syncward sim: --json or --csv, not both\n$/);
});
