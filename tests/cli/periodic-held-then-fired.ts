// The steps both DevTools transports' CLI tests take with a periodic registration the page
// made while `syncward net offline`: the agent lists it as its own, holds it while offline,
// and `net online` fires it as periodicsync.
import type { Test } from "../browser/scenario.js";
import type { Running } from "./cli-process.js";
import type { SyncTestServer } from "../browser/harness/sync-test-server.js";

export interface PeriodicWorld {
  agent: Running;
  server: SyncTestServer;
  /** `syncward sync list --json`. */
  list(): { tag: string; kind: string; runsIn: string }[];
  /** `syncward net SET`: its exit status. */
  net(set: "online" | "offline"): number | null;
}

export async function periodicHeldThenFired(t: Test, { agent, server, list, net }: PeriodicWorld, tag: string): Promise<void> {
  await server.until("sync list to show it", () => list().find((r) => r.tag === tag));
  t.match(list(), [{ tag, kind: "periodic", runsIn: "browser (devtools)" }], "the agent holds it, periodic");
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.same(server.periodicSyncs(tag), [], "held while the device is offline");
  t.equal(net("online"), 0, "net online");
  await agent.waitFor(new RegExp(`periodicsync event completed {2}tag=${tag}`));
  t.ok(server.periodicSyncs(tag).length >= 1, "the listener ran");
}
