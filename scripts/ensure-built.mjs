// `npm test` and the benchmarks build first when an output is missing or older than the
// sources it comes from, so a fresh clone or an edited core never runs stale code. `--bench`
// also builds the benchmarks (tsconfig.bench.json), which are no part of the product.
import { execSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const newest = (dir) => {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
};
const age = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

const steps = [
  ["build:core", ["build/scheduler.wasm", "build/scheduler.debug.wasm"], ["wasm-core/src", "asconfig.json"]],
  ["build:component", ["build/scheduler.component.wasm"], ["wasm-core/src", "wasm-core/scheduler.wit", "scripts/componentize.mjs"]],
  [
    "build:js",
    ["build/dist/wasm-core/binding/scheduler.js", "build/dist/cli/syncward.js", "build/agent-config.schema.json"],
    ["agent", "cli", "device-sim", "wasm-core/binding", "wasm-core/demo", "scripts/write-config-schema.mjs"],
  ],
  ["build:browser", ["dist/page.js", "dist/sw.js"], ["agent", "wasm-core/binding", "scripts/build-browser.mjs", "build/scheduler.wasm"]],
];
if (process.argv.includes("--bench")) {
  steps.push([
    "build:bench",
    ["build/bench/bench/agent.bench.js", "build/bench/wasm-core/bench/core.bench.js"],
    [
      "bench",
      "wasm-core/bench",
      "agent",
      "device-sim",
      "wasm-core/binding",
      "tests/reference",
      "tests/browser/harness",
      "tests/cli/harness",
      "tests/cli/cli-process.ts",
    ],
  ]);
}
for (const [script, outputs, inputs] of steps) {
  const built = Math.min(...outputs.map(age));
  const source = Math.max(...inputs.map((p) => (statSync(p, { throwIfNoEntry: false })?.isDirectory() ? newest(p) : age(p))));
  if (built < 0 || built < source) {
    console.error(`syncward: ${script} (outputs missing or older than their sources)`);
    execSync(`npm run --silent ${script}`, { stdio: "inherit" });
  }
}
