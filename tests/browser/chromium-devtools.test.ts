// syncward's agent deciding for Chromium's own Background Sync over the DevTools protocol
// (agent/node/devtools-dispatcher.ts), in a real Chromium: the page registers with the native
// API (no polyfill), Chromium believes it is online the whole time, and only the agent's word
// makes the worker's listener run, with the page closed.
import t from "tap";
import { devtoolsWorld } from "./harness/devtools-world.js";

t.test("a registration made by the page fires through the agent after the page closed, held while the agent is offline", async (t) => {
  const world = await devtoolsWorld();
  t.teardown(() => world.close());
  const page = await world.open();
  t.equal(await page.register("test-closed"), "registered", "the native register() resolves");
  // Chromium fires at once (it is online); the agent takes the registration, durable.
  await world.server.until("the agent to hold test-closed", () => world.agent.status().find((r) => r.tag === "test-closed" && r.state === "pending"));
  await page.close();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.same(world.server.syncs("test-closed"), [], "the listener has not run: Chromium thinks it is online, the agent says offline");
  world.agent.setConditions({ online: true });
  const [fired] = await world.server.until("the listener to run", () => world.server.syncs("test-closed").length > 0 && world.server.syncs("test-closed"));
  t.equal(fired!.lastChance, false, "first attempt, lastChance false");
  t.equal(fired!.extendable, true, "a real ExtendableEvent");
  await world.server.until("the registration to complete", () => world.agent.status().length === 0);
  t.same(
    world.events.filter((e) => e.instanceId === "test-closed").map((e) => e.eventName),
    ["Registered sync", "Dispatched sync event", "sync event completed"],
    "registered, dispatched once, completed",
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal(world.server.syncs("test-closed").length, 1, "the listener ran once");
});
