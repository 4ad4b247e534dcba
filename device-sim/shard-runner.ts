// Running the shards of a run. A shard is a fixed slice of the fleet with its own core
// instances and its share of the backend's capacity, so the shard count is part of what
// decides the result; workers only execute shards, so their number (the machine's cores)
// never changes a report. Each policy of a shard runs as a task of its own, in a worker thread
// or in this thread: each policy's world is the same whichever others run beside it, so the
// parts merge exactly, and one policy's 1,000 devices at a time keep the working set small
// (the bench's 10,000 devices on 2 cores: 39.0 s with a shard's four policies interleaved in
// one queue, 27.5 s with each apart, though the world is simulated once per policy).

import { Worker } from "node:worker_threads";
import { mergePolicyParts, runShard, type Shard, type ShardResult } from "./fleet.js";
import { scenarioToJson, type BuiltinPolicyName, type PolicyName, type Scenario } from "./scenario.js";

/**
 * Above this many devices a run is split into more shards by default. Each device's state is
 * tens of kilobytes; a shard of 1,000 stays in the processor's cache and the collector's
 * young generation, where one of 10,000 spent 1.6× the CPU per device (kiosk, 10,000
 * devices × 24 h: 22.8 s in one shard, 14.1 s in ten), and the figures barely move (kiosk delivered 958,388 in one shard, 958,391 in five).
 */
export const DEVICES_PER_SHARD = 1_000;

export function defaultShards(devices: number): number {
  return Math.max(1, Math.ceil(devices / DEVICES_PER_SHARD));
}

export interface ShardTask {
  shard: Shard;
  /** Only these policies of the shard's. */
  policies: PolicyName[];
}

/**
 * Relative cost of a policy's devices, measured (fleet-outage, 200 devices, each policy
 * alone: naive 4.7 s, kiosk 1.2 s, chromium 1.2 s, workbox 0.6 s): naive retries every second.
 * The costliest tasks start first, so that the last task to finish is a short one.
 */
const POLICY_COST: Record<BuiltinPolicyName, number> = { naive: 4, kiosk: 1, chromium: 1, workbox: 0.5 };
/** An extra policy from a scenario file runs the real Agent, as kiosk and chromium do. */
const cost = (policy: PolicyName): number => POLICY_COST[policy as BuiltinPolicyName] ?? 1;

export type WorkerMessage =
  { type: "progress"; shard: number; share: number } | { type: "result"; result: ShardResult } | { type: "error"; shard: number; message: string };

export interface ShardRunOptions {
  /** Worker threads; 0 runs the tasks one after another in this thread. */
  workers: number;
  quantumMs: number;
  /**
   * The share (0–1) of the run's simulated time done, averaged over its tasks: a shard whose
   * policies are split among workers is several tasks, each reporting its own share.
   */
  onProgress?: (share: number) => void;
}

// Shards allocate many short-lived objects (promises, snapshots): a larger young generation
// makes scavenges rarer.
const YOUNG_GENERATION_MB = 64;

function workerUrl(): URL {
  // From the TypeScript sources (tests), the worker is the .ts file next to this one.
  return new URL(import.meta.url.endsWith(".ts") ? "./shard-worker.ts" : "./shard-worker.js", import.meta.url);
}

/** Run shards `indices` of `count`; results in index order. */
export async function runShards(scenario: Scenario, count: number, indices: number[], options: ShardRunOptions): Promise<ShardResult[]> {
  const results = new Map<number, ShardResult>();
  const policies = [...scenario.policies].sort((a, b) => cost(b) - cost(a));
  const tasks: ShardTask[] = indices.flatMap((index) => policies.map((policy) => ({ shard: { index, count }, policies: [policy] })));
  const workers = Math.min(options.workers, tasks.length);
  const shares = new Array<number>(tasks.length).fill(0);
  const progress = (task: number, share: number) => {
    shares[task] = share;
    options.onProgress?.(shares.reduce((a, b) => a + b, 0) / shares.length);
  };
  const partsOf = new Map<number, ShardResult[]>();
  const collect = (result: ShardResult) => {
    const list = partsOf.get(result.shard.index) ?? [];
    list.push(result);
    partsOf.set(result.shard.index, list);
    if (list.length === policies.length) results.set(result.shard.index, mergePolicyParts(list));
  };
  if (workers <= 0) {
    for (const [i, task] of tasks.entries()) {
      collect(await runShard(scenario, task.shard, { quantumMs: options.quantumMs, policies: task.policies, onProgress: (share) => progress(i, share) }));
    }
  } else {
    const todo = [...tasks.keys()];
    const fileForm = scenarioToJson(scenario);
    await Promise.all(
      Array.from(
        { length: workers },
        () =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(workerUrl(), {
              workerData: { scenario: fileForm, quantumMs: options.quantumMs },
              resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
            });
            let current = -1;
            const next = () => {
              const task = todo.shift();
              if (task === undefined) {
                void worker.terminate().then(() => resolve());
                return;
              }
              current = task;
              worker.postMessage(tasks[task]);
            };
            worker.on("message", (m: WorkerMessage) => {
              if (m.type === "progress") progress(current, m.share);
              else if (m.type === "result") {
                collect(m.result);
                next();
              } else {
                void worker.terminate();
                reject(new Error(`shard ${m.shard + 1}/${count} failed: ${m.message}`));
              }
            });
            worker.on("error", reject);
            next();
          }),
      ),
    );
  }
  return indices.map((i) => results.get(i)!);
}
