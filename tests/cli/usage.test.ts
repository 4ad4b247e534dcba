// `syncward` as a new user first meets it: --version, each command's own --help, and a bad
// command line that says what is wrong in one line, exits non-zero and starts nothing.
import t from "tap";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli-process.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });

t.test("--version prints the package's version", async (t) => {
  const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  const r = run("--version");
  t.equal(r.status, 0);
  t.equal(r.stdout, `${version}\n`);
  t.equal(r.stderr, "");
});

t.test("each command's --help is that command's own, exit 0", async (t) => {
  const cases: [string[], RegExp][] = [
    [["agent", "--help"], /^Usage: syncward agent \[options\]\n[\s\S]*--sw FILE/],
    [["agent", "-h"], /^Usage: syncward agent \[options\]/],
    [["net", "--help"], /^Usage: syncward net offline\|online\|auto\|status[\s\S]*--control PATH/],
    [["net", "status", "--help"], /^Usage: syncward net /],
    [["sim", "--help"], /^syncward sim — [\s\S]*--devices N/],
  ];
  for (const [args, usage] of cases) {
    const r = run(...args);
    t.equal(r.status, 0, `${args.join(" ")}: exit 0 (${r.stderr.trim()})`);
    t.match(r.stdout, usage, `${args.join(" ")}: its own usage`);
    t.notMatch(r.stdout, /syncward sim \[scenario\] \[options\] {2}simulate/, `${args.join(" ")}: not the global help`);
  }
  const global = run("--help");
  t.equal(global.status, 0);
  t.match(global.stdout, /syncward COMMAND --help/);
});

t.test("a negative number is refused as a bad value, not as an ambiguous flag", async (t) => {
  const cases: [string[], RegExp][] = [
    [["sim", "--devices", "-5"], /^syncward sim: --devices must be a whole number ≥ 1, got "-5"\n$/],
    [["sim", "--seed", "-1"], /--seed must be a whole number ≥ 0, got "-1"/],
    [["agent", "--seed", "-1", "--sw", "x.js", "--scope", "http://a/"], /^syncward: --seed must be a non-negative integer, got "-1"\n$/],
    [["agent", "--broker-port", "-1883"], /--broker-port must be a non-negative integer, got "-1883"/],
    [["agent", "--settle", "-0.5"], /--settle must be a non-negative integer, got "-0.5"/],
  ];
  for (const [args, reason] of cases) {
    const r = run(...args);
    t.equal(r.status, 2, `${args.join(" ")}: exit 2`);
    t.match(r.stderr, reason, `${args.join(" ")}: ${r.stderr.trim()}`);
    t.notMatch(r.stderr, /ambiguous/);
  }
});

t.test("--sw naming a missing file fails before anything starts", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-usage-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const missing = join(dir, "no-such-sw.js");
  // The embedded broker is on: had anything started, stdout would say so.
  const r = run(
    "agent",
    "--sw",
    missing,
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "state", "store"),
    "--control",
    join(dir, "c.sock"),
    "--broker-port",
    "0",
  );
  t.equal(r.status, 2, "exit 2, as any bad config");
  t.equal(r.stderr, `syncward: cannot read service worker ${missing}: ENOENT\n`, "one line naming the file");
  t.equal(r.stdout, "", "no broker, no store, no socket");
});
