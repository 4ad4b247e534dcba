// The Kubernetes Indexed Job of deploy/k8s: its pod script, run here as one process per index
// with JOB_COMPLETION_INDEX set as Kubernetes sets it, writes shard results that `sim merge`
// adds up to the very report of the same split run in one process.
import t from "tap";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { outcome, type Report } from "../../device-sim/report.js";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "../../build/dist/cli/syncward.js");
const SCRIPT = join(import.meta.dirname, "../../deploy/k8s/sim-shard.sh");
const SHARDS = 3;
const ARGS = "--devices 45 --duration 2h --seed 7";

t.test("pods of the Indexed Job, merged, give the one-process report", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-indexed-job-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const env = { ...process.env, SHARDS: String(SHARDS), SCENARIO: "commute-cellular", SIM_ARGS: ARGS, RESULTS: dir, SYNCWARD: `${process.execPath} ${CLI}` };
  // Completed in any order, as pods are.
  await Promise.all([2, 0, 1].map((index) => run(SCRIPT, [], { env: { ...env, JOB_COMPLETION_INDEX: String(index) } })));
  const files = (await readdir(dir)).sort();
  t.same(files, ["shard-00000.json", "shard-00001.json", "shard-00002.json"], "one result per index on the volume");
  const merged = await run(process.execPath, [CLI, "sim", "merge", ...files.map((f) => join(dir, f)), "--json"]);
  const whole = await run(process.execPath, [
    CLI,
    "sim",
    "commute-cellular",
    ...ARGS.split(" "),
    "--shards",
    String(SHARDS),
    "--workers",
    "0",
    "--no-progress",
    "--json",
  ]);
  t.same(outcome(JSON.parse(merged.stdout) as Report), outcome(JSON.parse(whole.stdout) as Report), "the same report");
  t.match(JSON.parse(await readFile(join(dir, files[0]!), "utf8")), { shard: { index: 0, count: SHARDS } }, "index 0 ran shard 1 of 3");
});

t.test("a pod outside an Indexed Job refuses to guess its shard", async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, SHARDS: "3", SCENARIO: "commute-cellular", SYNCWARD: `${process.execPath} ${CLI}` };
  delete env.JOB_COMPLETION_INDEX;
  const error = await run(SCRIPT, [], { env }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.ok(error, "it fails");
  t.not(error?.code, 0, "non-zero exit");
  t.match(error?.stderr, /JOB_COMPLETION_INDEX.*Indexed Job/, "and says why");
});
