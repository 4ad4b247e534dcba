// syncward's agent owning Chromium's Periodic Background Sync over the DevTools protocol
// (agent/node/devtools-dispatcher.ts, devtools-periodic-registrations.ts), in a real Chromium:
// the page registers with the native API, the agent learns the registration as it is made and
// alone decides when periodicsync runs.
import t from "tap";
import { DevToolsDispatcher } from "../../agent/node/devtools-dispatcher.js";
import { devtoolsWorld } from "./harness/devtools-world.js";

/** Periodic events as soon as the app allows: Chromium's floor is 12 hours. */
const PROMPT_PERIODIC = { periodicMinInterval: 500, scopeMinGap: 0, wakeupGranularity: 0 };

t.test(
  "a periodic registration made by the page is held by the agent while offline, fires through it as periodicsync, and unregister() reaches it",
  async (t) => {
    const world = await devtoolsWorld(t, { policy: PROMPT_PERIODIC });
    const page = await world.open();
    // Chromium refuses a site that is not an installed app; the agent grants the origins it serves.
    t.equal(await page.registerPeriodic("test-periodic", 1_000), "registered", "the native periodicSync.register() resolves");
    await world.held("test-periodic");
    t.match(world.agent.status(), [{ tag: "test-periodic", kind: "periodic" }], "the agent holds it, as a periodic registration");
    t.match(
      world.events.find((e) => e.eventName === "Registered periodicsync" && e.instanceId === "test-periodic")?.eventMetadata,
      { minInterval: "1000" },
      "with the app's minInterval",
    );
    await page.close();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    t.same(world.server.periodicSyncs("test-periodic"), [], "offline: held past its interval");
    world.agent.setConditions({ online: true });
    const [first, second] = await world.firedPeriodic("test-periodic", 2);
    t.equal(first!.extendable, true, "a real ExtendableEvent");
    t.ok(second!.at - first!.at >= 1_000, `again after its minInterval (${Math.round(second!.at - first!.at)} ms)`);
    t.ok(
      world.events.filter((e) => e.instanceId === "test-periodic" && e.eventName === "periodicsync event completed").length >= 1,
      "the hook reported the listener's outcome: completed",
    );
    const again = await world.open();
    t.equal(
      await again.eval(`navigator.serviceWorker.ready.then((r) => r.periodicSync.unregister("test-periodic")).then(() => "unregistered")`),
      "unregistered",
    );
    await world.settled();
    const fired = world.server.periodicSyncs("test-periodic").length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    t.equal(world.server.periodicSyncs("test-periodic").length, fired, "no periodicsync after unregister()");
    t.same(world.server.syncs("test-periodic"), [], "never a sync event");
  },
);

t.test("a failing periodicsync handler is reported as Chromium words it", async (t) => {
  const world = await devtoolsWorld(t, { policy: PROMPT_PERIODIC });
  world.server.verdict("test-periodic-fails", "failure");
  const page = await world.open();
  world.agent.setConditions({ online: true });
  t.equal(await page.registerPeriodic("test-periodic-fails", 0), "registered");
  const failed = await world.server.until("the periodicsync event to fail", () =>
    world.events.find((e) => e.eventName === "periodicsync event failed" && e.instanceId === "test-periodic-fails"),
  );
  t.equal(failed.eventMetadata["Failure Reason"], "waitUntil rejected");
});

t.test("Chromium's own periodicsync: stopped if the agent holds the tag; the app's, logged, if it does not", async (t) => {
  const world = await devtoolsWorld(t, { policy: { periodicMinInterval: 3_600_000 } });
  const page = await world.open();
  t.equal(await page.registerPeriodic("test-held", 3_600_000), "registered");
  await world.held("test-held");
  // Chromium's scheduler fires a day later at the soonest; the test's own DevTools session fires as it would.
  const ids: string[] = [];
  page.driver.on("ServiceWorker.workerRegistrationUpdated", (params) =>
    ids.push(...(params.registrations as { registrationId: string }[]).map((r) => r.registrationId)),
  );
  await page.driver.send("ServiceWorker.enable", {}, page.sessionId);
  const registrationId = await world.server.until("the app's registration id", () => ids[0]);
  const chromiumFires = (tag: string) =>
    page.driver.send("ServiceWorker.dispatchPeriodicSyncEvent", { origin: world.server.origin, registrationId, tag }, page.sessionId);
  await chromiumFires("test-held");
  await chromiumFires("test-unknown");
  const [copy] = await world.firedPeriodic("test-unknown");
  t.ok(copy, "the app got a copy of the event the agent does not hold");
  t.ok(
    world.problems.some((line) => line.includes('could not take periodic "test-unknown"')),
    "and the agent said why",
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(world.server.periodicSyncs("test-held"), [], "the agent's registration: Chromium's event did not reach the app");
  t.match(world.agent.status(), [{ tag: "test-held", kind: "periodic" }], "still held by the agent");
});

t.test("with the app's worker gone, its periodic registration waits: nothing fires, nothing crashes", async (t) => {
  const world = await devtoolsWorld(t, { policy: PROMPT_PERIODIC });
  const page = await world.open();
  t.equal(await page.registerPeriodic("test-orphan", 0), "registered");
  await world.held("test-orphan");
  t.equal(await page.eval("navigator.serviceWorker.ready.then((r) => r.unregister())"), true, "the app unregisters its service worker");
  await world.server.until("the agent to say the scope lost its worker", () =>
    world.problems.find((line) => line.includes("has no active service worker now")),
  );
  t.equal(world.served()?.attachedVia, undefined, "the scope's events wait for a worker");
  world.agent.setConditions({ online: true });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  t.same(world.server.periodicSyncs("test-orphan"), [], "no worker, no event");
  t.match(world.agent.status(), [{ tag: "test-orphan", kind: "periodic" }], "the agent still holds it");
  t.same(
    world.events.filter((e) => e.eventName.includes("failed")),
    [],
    "nothing counted as a failure",
  );
});

t.test(
  "with the agent gone, periodicSync.register() is refused as Chromium refuses a site that is not an installed app; an unregister() meanwhile reaches the agent when it comes back",
  async (t) => {
    const world = await devtoolsWorld(t);
    const page = await world.open();
    t.equal(await page.registerPeriodic("test-refused", 0), "registered", "while the agent is connected");
    await world.held("test-refused");
    await world.dispatcher.close();
    // Chromium drops the agent's grant with its connection: nothing would fire the registration.
    t.equal(await page.registerPeriodic("test-alone", 0), "NotAllowedError: Permission denied.");
    t.equal(await page.register("test-one-shot"), "registered", "one-shot sync is not touched by the grant or its end");
    // Chromium records the unregister() with no one observing; the agent coming back learns it.
    t.equal(await page.eval(`navigator.serviceWorker.ready.then((r) => r.periodicSync.unregister("test-refused")).then(() => "unregistered")`), "unregistered");
    const back = new DevToolsDispatcher({ endpoint: world.endpoint, origins: [world.server.origin] }, (line) => world.problems.push(line));
    t.teardown(() => back.close());
    back.start(() => world.served()!);
    await back.connected();
    await world.server.until("the agent to drop test-refused", () => !world.agent.status().some((r) => r.tag === "test-refused"));
    t.same(world.agent.status(), [], "the agent holds nothing now");
  },
);
