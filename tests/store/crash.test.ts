// Real crashes: a child process (crash-child.mjs, on the compiled store) applies commits 0, 1,
// 2, … (puts, overwrites, deletes; the log gets compacted along the way) and reports each one
// durable once it resolved; we SIGKILL it at seeded random moments (some while it loads, many
// within a millisecond of it writing), restart it on the same store, and after every kill load
// the store ourselves. Every key must hold what some commit from the last one reported durable
// to the last one attempted gave it: nothing acknowledged lost, nothing never written, no torn
// record. SYNCWARD_CRASH_KILLS sets the number of kills (default 200).
// This covers process crashes (the page cache survives); power cuts are what the fsync
// ordering and corruption.test.ts are for.
import t from "tap";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FileStore } from "../../agent/node/file-store.js";
import { storeKey, type StoredRegistration } from "../../agent/store.js";
import { Xoshiro128 } from "../reference/random.js";

/** Registration i in version v; crash-child.mjs has the same function. */
function reg(i: number, v: number): StoredRegistration {
  const periodic = i % 4 === 3;
  return {
    scope: `https://app${i % 5}.example/`,
    tag: `sync-${i}`,
    kind: periodic ? "periodic" : "one-shot",
    attempts: v,
    maxAttempts: 3,
    delayUntil: i * 1000,
    anchorOrExpiry: 1_700_000_000_000 + i,
    minInterval: periodic ? 60_000 + i : 0,
    unmeteredOnly: i % 2 === 0,
    allowOnBattery: i % 7 !== 0,
  };
}
/** Registration j after commits 0..k (crash-child.mjs's changes), as JSON; undefined when absent. */
function after(j: number, k: number): string | undefined {
  if (j > k || (j % 3 === 0 && k >= j + 22)) return undefined;
  return JSON.stringify(reg(j, k < j + 20 ? 0 : 1));
}

const kills = Number(process.env.SYNCWARD_CRASH_KILLS ?? 200);
const child = fileURLToPath(new URL("./fixtures/crash-child.mjs", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const compiled = (name: string) => statSync(join(root, "build/dist/agent/node", `${name}.js`), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const source = (name: string) => statSync(join(root, "agent/node", `${name}.ts`)).mtimeMs;
const built = ["file-store", "crc32", "log-record", "store-log-replay", "store-snapshot", "store-files", "legacy-slot-store"].every(
  (name) => compiled(name) >= source(name),
);

// Plain node for the children: without tap's NODE_OPTIONS, whose process-info hook would load
// into every child and record each one under .tap/.
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "NODE_OPTIONS" && !name.startsWith("_TAPJS_")));

interface Run {
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
  code: number | null;
  sawReady: boolean;
}

/**
 * A started child waiting for "go" (node takes ~100-250 ms to start here, so the next children
 * start while the current one runs). `go` sends the line and kills the child `delay` ms later,
 * counted from the go line (afterReady false) or from the child's ready line.
 */
function warm(path: string) {
  const proc = spawn(process.execPath, [child, path], { stdio: ["pipe", "pipe", "pipe"], env: childEnv });
  let stdout = "";
  let stderr = "";
  let sawReady = false;
  let onReady = () => {};
  proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (!sawReady && stdout.includes("ready ")) {
      sawReady = true;
      onReady();
    }
  });
  proc.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const closed = new Promise<Run>((resolve) => {
    proc.on("close", (code, signal) => resolve({ stdout, stderr, signal, code, sawReady }));
  });
  const kill = () => proc.kill("SIGKILL");
  return {
    kill,
    go(depth: number, afterReady: boolean, delay: number): Promise<Run> {
      const guard = setTimeout(kill, 10_000); // a child that hangs is killed too, and the checks fail
      if (afterReady) onReady = () => (delay === 0 ? kill() : setTimeout(kill, delay));
      else setTimeout(kill, delay);
      proc.stdin.end(`go ${depth}\n`);
      return closed.finally(() => clearTimeout(guard));
    },
  };
}

t.test(`${kills} SIGKILLs: every commit reported durable survives, intact`, async (t) => {
  if (!built) {
    t.fail("build/dist/agent/node is missing or older than agent/node: run npm run build:js (npm test does)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "syncward-crash-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "state");
  const random = new Xoshiro128(0x5eed, 42);
  const uniform = () => random.next() / 2 ** 32;
  const started = performance.now();
  let durable = -1; // highest commit any child reported durable
  let attempted = -1; // highest commit any child attempted
  let torn = 0;
  let compactions = 0; // loads that found the log shorter than the one before
  let logSize = 0;
  let duringStartup = 0;
  const failures: string[] = [];
  const ready = [warm(path), warm(path), warm(path)];
  t.teardown(() => ready.forEach((c) => c.kill()));

  for (let k = 0; k < kills && failures.length === 0; k++) {
    const depth = [1, 3, 12][k % 3]!;
    const afterReady = uniform() >= 0.15;
    const r = uniform();
    const delay = !afterReady ? uniform() * 15 : r < 0.3 ? 0 : r < 0.6 ? uniform() * 3 : uniform() * 40;
    const next = ready.shift()!;
    ready.push(warm(path));
    const result = await next.go(depth, afterReady, delay);
    if (result.signal !== "SIGKILL") {
      failures.push(`kill ${k}: the child ended by itself (code ${result.code}): ${result.stderr.slice(0, 500)}`);
      break;
    }
    if (!result.sawReady) duringStartup++;
    const lines = result.stdout.split("\n");
    for (const line of lines) {
      const [word, value] = line.split(" ");
      const i = Number(value);
      if (word === "ready" && i < durable) failures.push(`kill ${k}: the child found registrations up to ${i}, ${durable} was durable`);
      if (word === "attempt") attempted = Math.max(attempted, i);
      if (word === "durable") durable = Math.max(durable, i);
    }

    const store = new FileStore({ path });
    let report;
    try {
      report = await store.load();
    } catch (error) {
      failures.push(`kill ${k}: load threw ${String(error)}`);
      break;
    }
    await store.close();
    const found = report.registrations;
    if (report.discarded.length > 0) torn++;
    compactions += report.registrations.size > 0 && statSync(`${path}.log`).size < logSize ? 1 : 0;
    logSize = statSync(`${path}.log`, { throwIfNoEntry: false })?.size ?? 0;
    const keys = new Set(found.keys());
    for (let j = 0; j <= attempted + 1; j++) {
      const r = reg(j, 0);
      const key = storeKey(r);
      keys.delete(key);
      const got = found.has(key) ? JSON.stringify(found.get(key)) : undefined;
      let allowed = false;
      for (let c = durable; c <= attempted && !allowed; c++) allowed = got === after(j, c);
      if (!allowed) {
        failures.push(`kill ${k}: registration ${j} is ${got ?? "absent"} (commits ${durable} durable, ${attempted} attempted)`);
        break;
      }
    }
    if (keys.size > 0) failures.push(`kill ${k}: keys never written: ${[...keys].slice(0, 3).join(", ")}`);
  }

  const seconds = (performance.now() - started) / 1000;
  t.same(failures.slice(0, 5), [], `${failures.length} failures`);
  // Not a vacuous pass: over many kills the children must have made real progress.
  if (kills >= 50) t.ok(durable + 1 >= kills / 2, `the children made progress: ${durable + 1} commits durable over ${kills} kills`);
  if (kills >= 50) t.ok(compactions > 0, `the log was compacted between kills ${compactions} times`);
  t.comment(
    `${kills} kills in ${seconds.toFixed(1)} s: ${duringStartup} before the child had loaded, ` +
      `${torn} loads found a torn tail, ${compactions} saw the log compacted, ${durable + 1} commits durable, ${attempted + 1} attempted`,
  );
});
