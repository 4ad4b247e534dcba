// The progress the CLI's bar and its time-left estimate are drawn from: the share of the
// run's simulated time done, over every task. When one shard's policies are split among two
// workers, each reports its own share; taken one at a time they made the bar jump between
// the light part's 90 % and the heavy part's 27 %, and the estimate with it.
import t from "tap";
import { runShards } from "../../device-sim/shard-runner.js";
import { smallScenario } from "./small-scenario.js";

t.test("one shard split among two workers: the share done only grows, and ends at 1", async (t) => {
  // Naive retries cost several times the other policies, so the two parts run at very
  // different speeds; long enough for several reports (each part reports every 250 ms).
  const scenario = smallScenario("fleet-outage", { devices: 100, duration: "15h", seed: 5 });
  const shares: number[] = [];
  await runShards(scenario, 1, [0], { workers: 2, quantumMs: 0, onProgress: (share) => shares.push(share) });
  t.ok(shares.length >= 6, `${shares.length} reports`);
  const drops = shares.flatMap((share, i) => (i > 0 && share < shares[i - 1]! ? [`${shares[i - 1]} → ${share}`] : []));
  t.same(drops, [], "never goes back");
  t.ok(
    shares.every((s) => s >= 0 && s <= 1),
    "a share",
  );
  t.equal(shares.at(-1), 1, "done at the end");
  t.ok(shares.filter((s) => s === 1).length === 1, "and only then");
});
