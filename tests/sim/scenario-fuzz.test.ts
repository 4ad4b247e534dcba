// Fuzzed scenario files: whatever a file holds, parseScenario returns a scenario or throws a
// ScenarioError of one line naming the problem; nothing else escapes, and nothing is polluted.
import t from "tap";
import fc from "fast-check";
import { namedOverrides } from "../../device-sim/named-scenarios.js";
import { parseScenario, scenarioToJson, ScenarioError } from "../../device-sim/scenario.js";
import { assertOneLineError, mutatedJson } from "../json-mutations.js";

const RUNS = Number(process.env.SYNCWARD_FUZZ_RUNS ?? 3000);

t.test(`${RUNS} fuzzed scenario files: a scenario or one line`, async (t) => {
  const valid = {
    extends: "fleet-outage",
    ...scenarioToJson(parseScenario({ extends: "fleet-outage", extraPolicies: { mine: { preset: "kiosk", policy: { maxAttempts: 5 } } } }, namedOverrides)),
  };
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(mutatedJson(valid as never), (doc) => {
      try {
        const scenario = parseScenario(doc, namedOverrides);
        accepted++;
        // An accepted scenario round-trips through its file form.
        parseScenario(scenarioToJson(scenario), namedOverrides);
      } catch (error) {
        assertOneLineError(error, ScenarioError);
        refused++;
      }
      if (({} as { polluted?: unknown }).polluted !== undefined) throw new Error("Object.prototype was polluted");
    }),
    { numRuns: RUNS, seed: 1 },
  );
  t.ok(accepted > 0 && refused > 0, `${accepted} accepted, ${refused} refused with one line`);
});
