// What a browser scenario is, and the waits scenarios share. Waits poll for results with
// generous deadlines; the only fixed waits are the quiet periods that check something does
// NOT happen (no event while offline, no second event), which no speed can make pass wrongly.

import type { TAP } from "tap";
import { inPage, type Environment, type Mode } from "./environment.js";

// The last overload of t.test is (cb), so this is the subtest type.
export type Test = Parameters<Parameters<TAP["test"]>[0]>[0];

export interface Scenario {
  name: string;
  /** Where it applies (default: every way). */
  modes?: Mode[];
  run(t: Test, mode: Mode): Promise<void>;
}

/** A quiet period for checks that something does not happen. */
const QUIET_MS = 1000;
export const quiet = () => new Promise((resolve) => setTimeout(resolve, QUIET_MS));

export async function untilTags(env: Environment, what: string, check: (tags: string[]) => boolean): Promise<string[]> {
  return env.server.until(what, async () => {
    const tags = await inPage.getTags(env.app);
    return check(tags) && tags;
  });
}
