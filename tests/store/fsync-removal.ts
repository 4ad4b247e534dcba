// The test of the power-cut tests: the same walk on a disk that lies about one of the product's
// fsyncs (does nothing, reports success) must find a loss, once per fsync the product relies on.
import type { Test } from "tap";

/** What a walk reports: its fsyncs (done and ignored) and the losses it found. */
export interface WalkOutcome {
  syncs: { done: number; ignored: number };
  failures: string[];
}

/** One subtest per `[name, site]`: `walk(site)` ignores the fsyncs called from `site` and must find a loss. */
export function eachIgnoredFsyncLoses(t: Test, sites: [string, RegExp][], walk: (site: RegExp) => Promise<WalkOutcome>): void {
  for (const [name, site] of sites) {
    t.test(`without ${name} the walk finds a loss`, async (t) => {
      const result = await walk(site);
      t.ok(result.syncs.ignored > 0 && result.syncs.done > 0, `that fsync only: ${result.syncs.ignored} ignored, ${result.syncs.done} done`);
      t.ok(result.failures.length > 0, `found: ${result.failures[0] ?? "nothing"}`);
    });
  }
}
