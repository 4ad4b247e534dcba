// An Agent on a manual clock, a memory store and a scripted service worker, over the Wasm
// core or the reference model.
import { Agent, type AgentOptions } from "../../agent/agent.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant, type SchedulerCore } from "../../wasm-core/binding/scheduler-endpoint.js";
import { createReferenceScheduler } from "../reference/model.js";
import type { Policy } from "../../wasm-core/binding/policy.js";
import type { BackgroundServiceEvent } from "../../agent/log.js";
import { ManualClock } from "./manual-clock.js";
import { ScriptedDispatcher } from "./scripted-dispatcher.js";

export const SCOPE = "http://localhost:8080/";

/** The core an Agent test runs on: the Wasm core, or the reference model of its contract. */
export type CoreKind = "wasm" | "model";

export async function core(kind: CoreKind, options: { policy?: Partial<Policy> } = {}): Promise<SchedulerCore> {
  return kind === "wasm"
    ? createScheduler({ preset: "chromium", policy: options.policy })
    : createReferenceScheduler({ preset: "chromium", ...(options.policy ? { policy: options.policy } : {}) });
}

export async function harness(
  options: { policy?: Partial<Policy>; store?: MemoryStore; clock?: ManualClock; core?: CoreKind } & Partial<
    Pick<AgentOptions, "syncPermitted" | "periodicSyncPermitted">
  > = {},
) {
  const clock = options.clock ?? new ManualClock();
  const store = options.store ?? new MemoryStore();
  const dispatcher = new ScriptedDispatcher();
  const events: BackgroundServiceEvent[] = [];
  const problems: string[] = [];
  const agent = await Agent.start({
    scheduler: singleTenant(await core(options.core ?? "wasm", options), clock),
    store,
    dispatcher,
    clock,
    log: (e) => events.push(e),
    onProblem: (m) => problems.push(m),
    syncPermitted: options.syncPermitted,
    periodicSyncPermitted: options.periodicSyncPermitted,
  });
  let windows = 1;
  const sw = agent.addServiceWorker(SCOPE, { hasWindowClient: () => windows > 0 });
  agent.setConditions({ online: true });
  return {
    agent,
    sw,
    clock,
    store,
    dispatcher,
    events,
    problems,
    setWindows(n: number) {
      windows = n;
    },
    names: () => events.map((e) => e.eventName),
  };
}
