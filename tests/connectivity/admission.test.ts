// The backend's admission topic through a real broker (aedes in this process): a real Agent on
// the Wasm core, connected by DeviceConnectivity, paces its sync events at the share the
// retained payload gives; a stale, cleared or malformed payload makes it fall back to its own
// pacing with one log line, and it stays connected. The Agent runs on a manual clock, so the
// pace and the staleness are checked to the millisecond while MQTT runs in real time.
import t from "tap";
import mqtt from "mqtt";
import { Agent } from "../../agent/agent.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { DeviceConnectivity } from "../../agent/connectivity/device-connectivity.js";
import { parseAdmission } from "../../agent/connectivity/admission.js";
import { ManualClock } from "../agent/manual-clock.js";
import { ScriptedDispatcher } from "../agent/scripted-dispatcher.js";
import { startAedes, until } from "./broker-fixtures.js";

const SCOPE = "https://kiosk.example/";

t.test("parseAdmission: the share, or a problem, never a throw", async (t) => {
  t.same(parseAdmission('{"rate": 25, "devices": 400, "timestamp": 5, "ttlMs": 9}'), {
    ok: true,
    perDevice: 0.0625,
    slotAt: undefined,
    timestamp: 5,
    ttlMs: 9,
  });
  t.same(parseAdmission('{"perDevice": 0.5, "slotAt": 7, "timestamp": 0}'), { ok: true, perDevice: 0.5, slotAt: 7, timestamp: 0, ttlMs: undefined });
  t.same(parseAdmission(""), { ok: true, perDevice: undefined }, "an empty payload clears it");
  for (const bad of [
    "{",
    "25",
    "[]",
    '{"rate": 25, "devices": 400}',
    '{"rate": 25, "devices": 0, "timestamp": 1}',
    '{"rate": 25, "devices": 2.5, "timestamp": 1}',
    '{"rate": -1, "devices": 4, "timestamp": 1}',
    '{"rate": "25", "devices": 4, "timestamp": 1}',
    '{"perDevice": 0, "timestamp": 1}',
    '{"perDevice": 1, "timestamp": -1}',
    '{"perDevice": 1, "timestamp": 1, "ttlMs": 0}',
    '{"perDevice": 1e999, "timestamp": 1}',
    '{"perDevice": 1, "slotAt": "soon", "timestamp": 1}',
  ]) {
    const a = parseAdmission(bad);
    t.equal(a.ok, false, `refused: ${bad}`);
  }
  t.match(parseAdmission(new Uint8Array([0x7b, 0xff])), { ok: false, problem: /UTF-8/ });
});

t.test("through aedes: the agent paces at its share, falls back when the admission is stale, cleared or malformed", async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.stop());
  const topic = `t${process.pid}/backend/admission`;
  const backend = await mqtt.connectAsync(broker.url, { ...broker.login, protocolVersion: 4 });
  t.teardown(() => backend.endAsync());
  const clock = new ManualClock();
  const publish = (payload: unknown) => backend.publishAsync(topic, typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 1, retain: true });
  // Retained before the agent connects: the agent reads it at subscribe.
  await publish({ rate: 10, devices: 20, timestamp: clock.wall(), ttlMs: 60_000 });

  const dispatcher = new ScriptedDispatcher();
  dispatcher.auto = { outcome: "success" };
  const agent = await Agent.start({
    scheduler: singleTenant(await createScheduler({ preset: "kiosk" }), clock),
    store: new MemoryStore(),
    dispatcher,
    clock,
    log: () => {},
  });
  const sw = agent.addServiceWorker(SCOPE, { hasWindowClient: () => true });
  const paces: (number | undefined)[] = [];
  const log: string[] = [];
  const connectivity = new DeviceConnectivity({
    agent: {
      setConditions: (c) => agent.setConditions(c),
      setScopeOnline: (s, o) => agent.setScopeOnline(s, o),
      status: () => agent.status(),
      nextWakeup: () => agent.nextWakeup(),
      setPace: (share, slotAt) => {
        paces.push(share);
        agent.setPace(share, slotAt);
      },
    },
    clock,
    mqtt: { url: broker.url, ...broker.login, protocolVersion: 4, clientId: `t${process.pid}-agent`, admission: { topic } },
    log: (m) => log.push(m),
  });
  t.teardown(() => connectivity.close());
  await until(() => paces.length === 1, "the retained admission");
  t.same(paces, [0.5], "10 requests/s shared by 20 devices");
  t.equal(connectivity.status().admissionPerDevice, 0.5);
  await clock.advance(0); // the fusion's settle time on the manual clock
  await clock.advance(1000);
  t.ok(agent.online, "online: the broker is the one signal");

  const fired = () => dispatcher.deliveries.map((d) => d.tag);
  await Promise.all(["a", "b", "c"].map((tag) => sw.sync.register(tag)));
  await clock.advance(0);
  t.same(fired(), ["a"], "the first at once");
  await clock.advance(1999);
  t.same(fired(), ["a"], "nothing before 1 / 0.5 s");
  await clock.advance(1);
  t.same(fired(), ["a", "b"], "the second 2 s later");
  await clock.advance(2000);
  t.same(fired(), ["a", "b", "c"], "the third 2 s after that");

  // Stale: the payload said 60 s; 4 s have passed on the manual clock since it was read.
  await clock.advance(56_000);
  t.same(paces, [0.5, undefined], "stale: back to the policy's own pacing");
  t.match(log.at(-1), /admission on .* went stale; pacing falls back to the policy/);
  await Promise.all(["d", "e"].map((tag) => sw.sync.register(tag)));
  await clock.advance(0);
  t.same(fired().slice(3), ["d", "e"], "no pace: both at once");

  // A fresh one again, then malformed ones: each a log line and the fallback, the link up.
  await publish({ perDevice: 0.25, timestamp: clock.wall() });
  await until(() => paces.length === 3, "the fresh admission");
  t.equal(paces.at(-1), 0.25);
  for (const [i, bad] of ['{"rate": "lots", "devices": 3, "timestamp": 1}', "not json", '{"perDevice": 2}'].entries()) {
    await publish(bad);
    await until(() => log.some((l) => l.includes(`ignored admission on ${topic}`) && l.includes(JSON.stringify(bad).slice(1, 10))), `the log line for ${bad}`);
    if (i === 0) t.equal(paces.at(-1), undefined, "malformed: the fallback");
  }
  t.equal(connectivity.status().mqtt?.state, "connected", "still connected");

  // Stale on arrival (newer than the last good one, but 61 s old), then an older one after a
  // newer: both refused, as the log says.
  await clock.advance(70_000);
  await publish({ perDevice: 1, timestamp: clock.wall() - 61_000 });
  await until(() => log.some((l) => /is stale \(published/.test(l)), "the stale-on-arrival line");
  await publish({ perDevice: 2, timestamp: clock.wall() });
  await until(() => paces.at(-1) === 2, "a good one");
  await publish({ perDevice: 3, timestamp: clock.wall() - 1000 });
  await until(() => log.some((l) => /is older than the last seen/.test(l)), "the out-of-order line");
  t.equal(paces.at(-1), 2, "an older admission does not replace a newer one");

  // A slot of the device's own: every event on slotAt + k × 2 s, the first one too.
  const slotAt = clock.wall() + 700;
  await publish({ perDevice: 0.5, slotAt: slotAt - 4000, timestamp: clock.wall() });
  await until(() => paces.at(-1) === 0.5, "the slotted admission");
  const before = fired().length;
  await Promise.all(["f", "g"].map((tag) => sw.sync.register(tag)));
  await clock.advance(699);
  t.equal(fired().length, before, "nothing before the slot");
  await clock.advance(1);
  t.same(fired().slice(before), ["f"], "the first on the slot");
  await clock.advance(1999);
  t.same(fired().slice(before), ["f"], "the next slot is 2 s on");
  await clock.advance(1);
  t.same(fired().slice(before), ["f", "g"]);

  // Cleared (the backend deleted the retained message): the fallback.
  await publish("");
  await until(() => paces.at(-1) === undefined, "the fallback after clearing");
  t.match(log.at(-1), /cleared; pacing falls back/);
});
