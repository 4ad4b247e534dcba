// Small scenarios for the simulator's tests: hundreds of devices, hours not days.
import { namedOverrides } from "../../device-sim/named-scenarios.js";
import { parseScenario, type Scenario } from "../../device-sim/scenario.js";

/** A built-in scenario (or the defaults) cut down to test size, with overrides on top. */
export function smallScenario(base: string | undefined, overrides: Record<string, unknown> = {}): Scenario {
  return parseScenario({ ...(base ? { extends: base } : {}), devices: 120, duration: "6h", ...overrides }, namedOverrides);
}
