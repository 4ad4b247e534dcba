// Running the shards of a run. A shard is a fixed slice of the fleet with its own core
// instances and its share of the backend's capacity, so the shard count is part of what
// decides the result; workers only execute shards, so their number (the machine's cores)
// never changes a report. Shards run in worker threads, or in this thread when one worker
// would do.

import { Worker } from "node:worker_threads";
import { runShard, type Shard, type ShardResult } from "./fleet.js";
import { scenarioToJson, type Scenario } from "./scenario.js";

/** Above this many devices a run is split into more shards by default. */
export const DEVICES_PER_SHARD = 10_000;

export function defaultShards(devices: number): number {
  return Math.max(1, Math.ceil(devices / DEVICES_PER_SHARD));
}

export interface ShardTask {
  shard: Shard;
}

export type WorkerMessage =
  | { type: "progress"; shard: number; share: number }
  | { type: "result"; result: ShardResult }
  | { type: "error"; shard: number; message: string };

export interface ShardRunOptions {
  /** Worker threads; 0 runs the shards one after another in this thread. */
  workers: number;
  quantumMs: number;
  onProgress?: (shard: number, share: number) => void;
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
  const workers = Math.min(options.workers, indices.length);
  if (workers <= 0) {
    for (const index of indices) {
      const result = await runShard(scenario, { index, count }, { quantumMs: options.quantumMs, onProgress: (share) => options.onProgress?.(index, share) });
      results.set(index, result);
    }
  } else {
    const todo = [...indices];
    const fileForm = scenarioToJson(scenario);
    await Promise.all(Array.from({ length: workers }, () => new Promise<void>((resolve, reject) => {
      const worker = new Worker(workerUrl(), { workerData: { scenario: fileForm, quantumMs: options.quantumMs }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      const next = () => {
        const index = todo.shift();
        if (index === undefined) {
          void worker.terminate().then(() => resolve());
          return;
        }
        worker.postMessage({ shard: { index, count } } satisfies ShardTask);
      };
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "progress") options.onProgress?.(m.shard, m.share);
        else if (m.type === "result") {
          results.set(m.result.shard.index, m.result);
          next();
        } else {
          void worker.terminate();
          reject(new Error(`shard ${m.shard + 1}/${count} failed: ${m.message}`));
        }
      });
      worker.on("error", reject);
      next();
    })));
  }
  return indices.map((i) => results.get(i)!);
}
