// npm run bench:differential — the nightly-style differential run: the core against the
// reference model on a fresh random fast-check seed, printed first so that a failure can be
// replayed with SYNCWARD_DIFF_SEED=<seed> npx tap tests/core/differential.test.ts.
// SYNCWARD_DIFF_RUNS sets the number of sequences (here 100,000 unless given; CI runs 10,000
// on a fixed seed); SYNCWARD_DIFF_SEED, if given, is used instead of a fresh one.

import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";

const seed = process.env.SYNCWARD_DIFF_SEED ?? String(randomInt(0, 2 ** 31));
const runs = process.env.SYNCWARD_DIFF_RUNS ?? "100000";
console.log(`differential: fast-check seed ${seed}, ${runs} sequences`);
console.log(`replay: SYNCWARD_DIFF_SEED=${seed} SYNCWARD_DIFF_RUNS=${runs} npx tap tests/core/differential.test.ts\n`);

// tap's per-file limit (package.json, 120 s) is for CI's 10,000; a long run gets its own.
const timeout = Math.max(120, Math.ceil(Number(runs) * 0.03));
const result = spawnSync("npx", ["tap", `--timeout=${timeout}`, "tests/core/differential.test.ts"], {
  stdio: "inherit",
  env: { ...process.env, SYNCWARD_DIFF_SEED: seed, SYNCWARD_DIFF_RUNS: runs },
});
if (result.status !== 0) console.log(`\ndifferential: FAILED on seed ${seed} (replay above)`);
process.exit(result.status ?? 1);
