// The seam between the device's Agent and the browsers: BrowserScopes routes each event by
// scope (a browser scope to the dispatcher attached for it, every other scope to the Node
// host), holds a browser scope's events while nothing is attached and releases them when a
// dispatcher attaches, and the browser scopes' registrations live in the Agent's file store,
// so a new Agent (a restarted device agent) has them before any browser calls.
import t from "tap";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../agent/agent.js";
import { BrowserScopes } from "../../agent/browser-scopes.js";
import { FileStore } from "../../agent/node/file-store.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { ManualClock } from "./manual-clock.js";
import { ScriptedDispatcher } from "./scripted-dispatcher.js";

const NODE_SCOPE = "http://127.0.0.1:8787/";
const BROWSER_SCOPE = "http://localhost:8080/app/";

async function device(t: { teardown(fn: () => unknown): void }, path: string, clock = new ManualClock()) {
  const node = new ScriptedDispatcher();
  node.auto = { outcome: "success" };
  const scopes = new BrowserScopes(node);
  const agent = await Agent.start({
    scheduler: singleTenant(await createScheduler({ preset: "chromium" }), clock),
    store: new FileStore({ path }),
    dispatcher: scopes,
    clock,
  });
  scopes.serve(agent);
  t.teardown(() => agent.close());
  agent.setConditions({ online: true });
  return { agent, scopes, node, clock };
}

t.test("events are routed by scope; a browser scope's wait while nothing is attached and go once a dispatcher attaches", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-browser-scopes-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { agent, scopes, node, clock } = await device(t, join(dir, "registrations"));
  const nodeWorker = agent.addServiceWorker(NODE_SCOPE, { hasWindowClient: () => true });
  const browser = scopes.add(BROWSER_SCOPE);
  t.equal(scopes.add(BROWSER_SCOPE), browser, "one entry per scope");
  t.equal(browser.origin, "http://localhost:8080");
  t.equal(browser.attachedVia, undefined);

  await t.rejects(browser.registration.sync.register("early"), { name: "InvalidStateError" }, "no worker reachable yet: as with no active worker");

  const bridge = new ScriptedDispatcher();
  const detach = browser.attach(bridge, "bridge");
  t.equal(browser.attachedVia, "bridge");
  await browser.registration.sync.register("outbox");
  browser.registration.resolved("one-shot", "outbox");
  await nodeWorker.sync.register("node-tag");
  await clock.advance(0);
  t.same(
    node.deliveries.map((d) => [d.scope, d.tag]),
    [[NODE_SCOPE, "node-tag"]],
    "the Node scope's event goes to the Node host",
  );
  t.same(
    bridge.deliveries.map((d) => [d.scope, d.tag, d.lastChance]),
    [[BROWSER_SCOPE, "outbox", false]],
    "the browser scope's event goes to its dispatcher",
  );

  // The browser goes away mid-event: its dispatcher says nobody took it. Nothing is counted.
  detach();
  t.equal(browser.attachedVia, undefined);
  bridge.last().settle({ outcome: "undelivered" });
  await clock.advance(60_000);
  t.equal(bridge.deliveries.length, 1, "nothing fires while nothing is attached");
  t.match(agent.status(), [{ scope: BROWSER_SCOPE, tag: "outbox", state: "pending", attempts: 0 }]);

  const again = new ScriptedDispatcher();
  browser.attach(again, "bridge");
  await clock.advance(0);
  t.same(
    again.deliveries.map((d) => d.tag),
    ["outbox"],
    "a dispatcher that attaches gets the held event at once",
  );
  again.last().settle({ outcome: "success" });
  await clock.advance(0);
  t.same(agent.status(), [], "completed");
});

t.test("a browser scope's registrations are stored by the device: a new Agent has them before the browser calls", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-browser-scopes-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "registrations");
  const first = await device(t, path);
  const browser = first.scopes.add(BROWSER_SCOPE);
  browser.attach(new ScriptedDispatcher(), "bridge");
  first.agent.setConditions({ online: false });
  await browser.registration.sync.register("kept");
  browser.registration.resolved("one-shot", "kept");
  await first.clock.advance(0);
  await first.agent.close();

  const second = await device(t, path);
  t.same(second.agent.unservedScopes(), [BROWSER_SCOPE], "stored, waiting for its scope");
  const back = second.scopes.add(BROWSER_SCOPE);
  t.same(await back.registration.sync.getTags(), ["kept"]);
  const bridge = new ScriptedDispatcher();
  back.attach(bridge, "bridge");
  await second.clock.advance(0);
  t.same(
    bridge.deliveries.map((d) => d.tag),
    ["kept"],
    "fires through the browser once attached",
  );
});

t.test("online changes reach the Node host and each attached dispatcher once", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-browser-scopes-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { agent, scopes, node } = await device(t, join(dir, "registrations"));
  const heard: [string, boolean][] = [];
  Object.assign(node, { onlineChanged: (online: boolean) => heard.push(["node", online]) });
  const bridge = Object.assign(new ScriptedDispatcher(), { onlineChanged: (online: boolean) => heard.push(["bridge", online]) });
  scopes.add("http://localhost:8080/a/").attach(bridge, "bridge");
  scopes.add("http://localhost:8080/b/").attach(bridge, "bridge");
  heard.length = 0;
  agent.setConditions({ online: false });
  t.same(heard, [
    ["node", false],
    ["bridge", false],
  ]);
});

t.test("an event its dispatcher could not deliver goes to the one attached meanwhile (a page reloaded mid-event)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-browser-scopes-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { scopes, clock } = await device(t, join(dir, "registrations"));
  const browser = scopes.add(BROWSER_SCOPE);
  const old = new ScriptedDispatcher();
  browser.attach(old, "bridge");
  await browser.registration.sync.register("outbox");
  browser.registration.resolved("one-shot", "outbox");
  await clock.advance(0);
  t.equal(old.deliveries.length, 1);
  const successor = new ScriptedDispatcher();
  browser.attach(successor, "bridge");
  old.last().settle({ outcome: "undelivered" });
  await clock.advance(0);
  t.same(
    successor.deliveries.map((d) => d.tag),
    ["outbox"],
    "the successor runs it",
  );
  successor.last().settle({ outcome: "success" });
  await clock.advance(0);
  t.same(await browser.registration.sync.getTags(), []);
});
