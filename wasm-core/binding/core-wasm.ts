// Loading the core in Node: the compiled module is read once per process and shared, since
// instantiating from a compiled module costs microseconds and each Scheduler needs its own
// instance.

import { readFile } from "node:fs/promises";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";

// Resolved through the package's own exports map, so it holds from the TypeScript sources
// (tests) and from the compiled JavaScript under build/dist alike.
const coreUrl = new URL(import.meta.resolve("syncward/core.wasm"));
let compiled: Promise<WebAssembly.Module> | undefined;

/** The compiled release core (build/scheduler.wasm; `npm run build` makes it). */
export function coreModule(): Promise<WebAssembly.Module> {
  compiled ??= readFile(coreUrl).then(
    (bytes) => WebAssembly.compile(bytes),
    (error: NodeJS.ErrnoException) => {
      compiled = undefined;
      throw new Error(`cannot read ${coreUrl.pathname} (${error.code ?? error.message}): run npm run build`);
    },
  );
  return compiled;
}

/** A fresh Scheduler in Node. */
export async function createScheduler(options: SchedulerOptions = {}): Promise<Scheduler> {
  return Scheduler.instantiate(await coreModule(), options);
}
