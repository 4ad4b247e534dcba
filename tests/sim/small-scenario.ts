// Small scenarios for the simulator's tests: hundreds of devices, hours not days.
import { FleetSim, type ShardResult } from "../../device-sim/fleet.js";
import { namedOverrides } from "../../device-sim/named-scenarios.js";
import { parseScenario, type Scenario } from "../../device-sim/scenario.js";

/** A built-in scenario (or the defaults) cut down to test size, with overrides on top. */
export function smallScenario(base: string | undefined, overrides: Record<string, unknown> = {}): Scenario {
  return parseScenario({ ...(base ? { extends: base } : {}), devices: 120, duration: "6h", ...overrides }, namedOverrides);
}

/** Run a scenario in one shard, noting when each "Registered sync" happened (virtual ms). */
export async function runNotingRegistrations(scenario: Scenario): Promise<{ result: ShardResult; registered: number[] }> {
  const registered: number[] = [];
  const sim = await FleetSim.create(
    scenario,
    { index: 0, count: 1 },
    { onEvent: (_policy, _device, e) => void (e.eventName === "Registered sync" && registered.push(sim.queue.now)) },
  );
  return { result: await sim.run(), registered };
}
