// Fuzzed agent config files: whatever a file holds, parseConfig returns a config or throws a
// ConfigError of one line naming the problem; nothing else escapes, and nothing is polluted.
import t from "tap";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, parseConfig } from "../../agent/node/agent-config.js";
import { assertOneLineError, mutatedJson } from "../json-mutations.js";

const RUNS = Number(process.env.SYNCWARD_FUZZ_RUNS ?? 3000);
const EXAMPLE = join(import.meta.dirname, "../../examples/agent.json");

t.test(`${RUNS} fuzzed config files: a config or one line`, async (t) => {
  const valid = JSON.parse(readFileSync(EXAMPLE, "utf8")) as never;
  t.ok(parseConfig(valid, "/srv/kiosk"), "the example itself is valid");
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(mutatedJson(valid), (doc) => {
      try {
        parseConfig(doc, "/srv/kiosk");
        accepted++;
      } catch (error) {
        assertOneLineError(error, ConfigError);
        refused++;
      }
      if (({} as { polluted?: unknown }).polluted !== undefined) throw new Error("Object.prototype was polluted");
    }),
    { numRuns: RUNS, seed: 1 },
  );
  t.ok(accepted > 0 && refused > 0, `${accepted} accepted, ${refused} refused with one line`);
});
