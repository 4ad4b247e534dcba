// The real Agent's own cost per message, without the simulated world: many Agents on one
// shared core, as the simulator runs them (memory store, virtual clock, the event queue),
// each message registered, fired and acknowledged at once. No network, outbox, metrics or
// connectivity: what is left is what the simulator cannot shed while it runs the real Agent
// and core, the floor under its cost per message.

import { Agent, type AgentServiceWorker } from "../agent/agent.js";
import type { DispatchResult, Dispatcher } from "../agent/dispatcher.js";
import { MemoryStore } from "../agent/memory-store.js";
import { CoreClock } from "../device-sim/core-clock.js";
import { DeviceClock } from "../device-sim/device-clock.js";
import { EventQueue } from "../device-sim/event-queue.js";
import { coreModule } from "../wasm-core/binding/core-wasm.js";
import { Scheduler } from "../wasm-core/binding/scheduler.js";
import { SchedulerEndpoint } from "../wasm-core/binding/scheduler-endpoint.js";

const SUCCESS: Promise<DispatchResult> = Promise.resolve({ outcome: "success" });

/**
 * Microseconds of wall time per message: `agents` Agents on one kiosk-preset core each get
 * `perAgent` messages, one a simulated minute apart, each under a tag of its own (as the
 * simulator's app registers them), fired online and acknowledged by the handler.
 */
export async function agentMicrosPerMessage(agents: number, perAgent: number): Promise<number> {
  const queue = new EventQueue();
  const scheduler = await Scheduler.instantiate(await coreModule(), { preset: "kiosk", seed: 1 });
  const endpoint = new SchedulerEndpoint(scheduler, new CoreClock(queue));
  const workers: AgentServiceWorker[] = [];
  let failures = 0;
  let dispatched = 0;
  const acknowledging: Dispatcher = {
    dispatch: () => {
      dispatched++;
      return SUCCESS;
    },
  };
  for (let i = 0; i < agents; i++) {
    const agent = await Agent.start({
      scheduler: endpoint.port(),
      store: new MemoryStore(),
      dispatcher: acknowledging,
      clock: new DeviceClock(queue),
      log: () => {},
      onProblem: () => failures++,
    });
    agent.setConditions({ online: true });
    workers.push(agent.addServiceWorker("https://kiosk.example/", { hasWindowClient: () => true }));
  }
  let registered = 0;
  const started = performance.now();
  for (let m = 0; m < perAgent; m++) {
    for (const sw of workers) {
      queue.after(m * 60_000 + 1, () => {
        sw.sync.register(`m${m}`).then(
          () => registered++,
          () => failures++,
        );
      });
    }
  }
  await queue.run(perAgent * 60_000 + 60_000);
  const total = agents * perAgent;
  const micros = ((performance.now() - started) * 1000) / total;
  if (failures > 0 || registered !== total || dispatched !== total) {
    throw new Error(`agent floor: of ${total} messages ${registered} registered and ${dispatched} fired, ${failures} failures`);
  }
  return micros;
}
