// A worker thread running shards of a run (see shard-runner.ts): it receives shard numbers,
// runs each, and posts progress and results back.

import { parentPort, workerData } from "node:worker_threads";
import { runShard } from "./fleet.js";
import { namedOverrides } from "./named-scenarios.js";
import { parseScenario } from "./scenario.js";
import type { ShardTask, WorkerMessage } from "./shard-runner.js";

const { scenario: raw, quantumMs } = workerData as { scenario: unknown; quantumMs: number };
const scenario = parseScenario(raw, namedOverrides);
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);

port.on("message", (task: ShardTask) => {
  runShard(scenario, task.shard, {
    quantumMs,
    policies: task.policies,
    onProgress: (share) => post({ type: "progress", shard: task.shard.index, share }),
  }).then(
    (result) => post({ type: "result", result }),
    (error: Error) => post({ type: "error", shard: task.shard.index, message: error.stack ?? error.message }),
  );
});
