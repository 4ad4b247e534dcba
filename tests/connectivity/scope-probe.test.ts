// A scope with a probe of its own: the spec's stricter, origin-specific online. Its
// registrations wait for its backend while another scope's fire; a drop during its event
// costs no attempt where the policy grants free aborted attempts.
import t from "tap";
import { createServer } from "node:http";
import { Agent } from "../../agent/agent.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { systemClock } from "../../agent/clock.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { DeviceConnectivity } from "../../agent/connectivity/device-connectivity.js";
import { ScriptedDispatcher } from "../agent/scripted-dispatcher.js";
import { until } from "./broker-fixtures.js";

t.test("a scope's own probe holds its registrations, not the others'", async (t) => {
  let status = 503;
  const backend = createServer((_req, res) => res.writeHead(status).end());
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        backend.closeAllConnections();
        backend.close(() => r());
      }),
  );
  const dispatcher = new ScriptedDispatcher();
  // Chromium counts every dispatched event; a free aborted attempt is the policy's choice.
  const scheduler = await createScheduler({ preset: "chromium", policy: { maxAbortedAttempts: 1 } });
  const agent = await Agent.start({ scheduler: singleTenant(scheduler), store: new MemoryStore(), dispatcher, log: () => {} });
  const strict = agent.addServiceWorker("https://payments.example/", { hasWindowClient: () => true });
  const relaxed = agent.addServiceWorker("https://news.example/", { hasWindowClient: () => true });
  const verdicts: string[] = [];
  const connectivity = new DeviceConnectivity({
    agent,
    clock: systemClock,
    require: [],
    settleMs: 0,
    onScopeChange: (scope, online) => verdicts.push(`${scope} ${online}`),
  });
  t.teardown(async () => {
    await connectivity.close();
    await agent.close();
  });
  t.equal(agent.online, true, "nothing required: the device is online");
  connectivity.watchScope("https://payments.example/", {
    url: `http://127.0.0.1:${(backend.address() as { port: number }).port}/health`,
    intervalMs: 60_000,
    maxIntervalMs: 60_000,
    minTriggerGapMs: 50,
  });
  t.throws(() => connectivity.watchScope("https://payments.example/", { url: "http://127.0.0.1:9/" }), /already has a probe/);
  await until(() => verdicts.length === 1, "the first probe answered");
  t.same(verdicts, ["https://payments.example/ false"]);
  t.same(connectivity.status().scopes, { "https://payments.example/": "bad" });

  await strict.sync.register("pay");
  await relaxed.sync.register("read");
  await until(() => dispatcher.deliveries.length === 1, "the relaxed scope fires");
  t.equal(dispatcher.last().scope, "https://news.example/");
  dispatcher.last().settle({ outcome: "success" });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(dispatcher.deliveries.length, 1, "the strict scope waits for its backend");

  status = 204;
  connectivity.setManual("auto"); // probes at once, as any change of a signal does
  await until(() => dispatcher.deliveries.length === 2, "the strict scope fires once its backend answers");
  t.equal(dispatcher.last().scope, "https://payments.example/");

  // Its backend goes away during the event: the failure is an aborted attempt, not a counted one.
  agent.setScopeOnline("https://payments.example/", false);
  dispatcher.last().settle({ outcome: "failure", reason: "fetch failed" });
  await until(() => agent.status().some((r) => r.tag === "pay" && r.state === "pending"), "back to pending");
  t.match(
    agent.status().find((r) => r.tag === "pay"),
    { attempts: 0 },
    "no attempt counted",
  );
  t.throws(() => agent.setScopeOnline("https://nobody.example/", true), /no service worker registration/);
});
