// syncward's agent deciding for Chromium's own Background Sync over the DevTools protocol
// (agent/node/devtools-dispatcher.ts), in a real Chromium: the page registers with the native
// API (no polyfill), Chromium believes it is online the whole time, and only the agent's word
// makes the worker's listener run, with the page closed.
import t from "tap";
import type { AppPage } from "./harness/chromium-process.js";
import type { Test } from "./scenario.js";
import { devtoolsWorld, type DevToolsWorld } from "./harness/devtools-world.js";

/** The page registers `tag`; the agent takes it and the listener does not run (Chromium's own event was stopped). */
async function takenNotRun(t: Test, world: DevToolsWorld, page: AppPage, tag: string): Promise<void> {
  t.equal(await page.register(tag), "registered", `register("${tag}") resolves`);
  await world.held(tag);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(world.server.syncs(tag), [], `the agent holds "${tag}"; Chromium's event did not reach the app`);
}

t.test("a registration made by the page fires through the agent after the page closed, held while the agent is offline", async (t) => {
  const world = await devtoolsWorld(t);
  const page = await world.open();
  t.equal(await page.register("test-closed"), "registered", "the native register() resolves");
  // Chromium fires at once (it is online); the agent takes the registration, durable.
  await world.held("test-closed");
  await page.close();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.same(world.server.syncs("test-closed"), [], "the listener has not run: Chromium thinks it is online, the agent says offline");
  world.agent.setConditions({ online: true });
  const [fired] = await world.fired("test-closed");
  t.equal(fired!.lastChance, false, "first attempt, lastChance false");
  t.equal(fired!.extendable, true, "a real ExtendableEvent");
  await world.settled();
  t.same(
    world.events.filter((e) => e.instanceId === "test-closed").map((e) => e.eventName),
    ["Registered sync", "Dispatched sync event", "sync event completed"],
    "registered, dispatched once, completed",
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal(world.server.syncs("test-closed").length, 1, "the listener ran once");
});

t.test("lastChance reaches the listener, and a failing handler is retried by the agent's policy, not Chromium's", async (t) => {
  // Chromium would wait 5 minutes before its second attempt; the agent's policy says 400 ms.
  const world = await devtoolsWorld(t, { policy: { maxAttempts: 2, initialRetryDelay: 400, retryDelayFactor: 1 } });
  world.server.verdict("test-fails", "failure");
  const page = await world.open();
  t.equal(await page.register("test-fails"), "registered");
  await world.held("test-fails");
  await page.close();
  world.agent.setConditions({ online: true });
  const tries = await world.fired("test-fails", 2);
  t.same(
    tries.map((r) => r.lastChance),
    [false, true],
    "the second and last attempt has lastChance true",
  );
  t.ok(tries[1]!.at - tries[0]!.at >= 400, `the retry waited the agent's back-off (${Math.round(tries[1]!.at - tries[0]!.at)} ms)`);
  await world.settled();
  const failed = world.events.filter((e) => e.eventName === "sync event failed");
  t.same(
    failed.map((e) => e.eventMetadata["Failure Reason"]),
    ["waitUntil rejected", "waitUntil rejected"],
    "both attempts failed by a rejected waitUntil",
  );
  t.equal(world.events.at(-1)?.eventName, "Sync completed", "then dropped: attempts exhausted");
  t.equal(world.server.syncs("test-fails").length, 2, "no third attempt");
});

t.test("a handler's Retry-After holds the agent's retry back", async (t) => {
  const world = await devtoolsWorld(t, { policy: { maxAttempts: 3, initialRetryDelay: 100, retryDelayFactor: 1 } });
  world.server.verdict("test-busy", "overloaded");
  const page = await world.open();
  world.agent.setConditions({ online: true });
  t.equal(await page.register("test-busy"), "registered");
  const failed = await world.server.until("the first attempt to fail", () => world.events.find((e) => e.eventName === "sync event failed"));
  const wait = Number(failed.eventMetadata["Next Attempt Delay (ms)"]);
  t.ok(wait > 1_500 && wait <= 2_000, `the server's Retry-After: 2 sets the next attempt (${wait} ms, the policy's own back-off is 100 ms)`);
});

t.test("where Background Sync is switched off (Electron's case), dispatchSyncEvent still runs the real event", async (t) => {
  const world = await devtoolsWorld(t, {
    args: ["--force-fieldtrials=BackgroundSync/Off", "--force-fieldtrial-params=BackgroundSync.Off:disabled/true"],
  });
  const page = await world.open();
  // The native API rejects "Background Sync is disabled.", so the page's polyfill serves it
  // (its registrations reach the agent through the page bridge); Chromium fires nothing.
  // (A call in the first milliseconds, before page.js has seen the native API answer, still
  // reaches the native API and rejects.)
  t.match(await page.register("test-native"), /^(registered|UnknownError: Background Sync is disabled\.)$/, "the polyfill or the disabled native API answered");
  await page.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(world.agent.status(), [], "Chromium fired nothing for the agent to take");
  // A registration the page bridge would hand over: the agent's own API.
  const served = world.served()!;
  await served.registration.sync.register("test-electron");
  served.registration.resolved("one-shot", "test-electron");
  world.agent.setConditions({ online: true });
  const [fired] = await world.fired("test-electron");
  t.equal(fired!.extendable, true, "a real ExtendableEvent, with no page open");
  await world.settled();
  t.notOk(
    world.problems.some((line) => line.includes("dropped")),
    "delivered by dispatchSyncEvent, not by the Runtime.evaluate fallback",
  );
});

t.test("with the agent gone, the hook lets the app have Chromium's event: nothing is lost", async (t) => {
  const world = await devtoolsWorld(t);
  const page = await world.open();
  await world.dispatcher.close();
  const asked = Date.now();
  t.equal(await page.register("test-alone"), "registered");
  const [fired] = await world.fired("test-alone");
  t.ok(fired!.at - asked >= 1_500, `after the hook waited for the agent (${Math.round(fired!.at - asked)} ms)`);
  t.equal(fired!.extendable, true, "an ExtendableEvent");
  t.same(world.agent.status(), [], "the agent took nothing");
});

t.test("a worker that ran before the agent came is started again with the hook first", async (t) => {
  const world = await devtoolsWorld(t, { connect: false });
  const page = await world.open();
  await world.connect();
  await world.server.until("the agent to restart the worker", () => world.problems.find((line) => line.includes("ran before the agent: stopped")));
  await takenNotRun(t, world, page, "test-late");
  world.agent.setConditions({ online: true });
  await world.fired("test-late");
  await world.settled();
  t.equal(world.server.syncs("test-late").length, 1, "the agent's event, once");
});

t.test("a worker that stopped (idle) starts again with the hook first", async (t) => {
  const world = await devtoolsWorld(t);
  const page = await world.open();
  t.equal(await page.register("test-before"), "registered");
  await world.held("test-before");
  await page.stopWorkers();
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Chromium starts the worker again for its own event of the new registration.
  await takenNotRun(t, world, page, "test-after-stop");
  world.agent.setConditions({ online: true });
  await world.fired("test-after-stop");
  await world.fired("test-before");
  await world.settled();
});
