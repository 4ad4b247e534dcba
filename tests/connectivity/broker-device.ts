// A device for the connectivity scenarios (broker-scenarios.ts): a real Agent with a real core
// behind DeviceConnectivity, a real MQTT link to the broker under test, and stand-ins for the
// firmware (retained device status) and the backend (Sparkplug STATE with its Last Will) as
// separate MQTT clients, each on topics of its own so that devices never hear each other.
import type { Test } from "tap";
import mqtt, { type MqttClient } from "mqtt";
import { Agent } from "../../agent/agent.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { systemClock } from "../../agent/clock.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { DeviceConnectivity, type MqttOptions } from "../../agent/connectivity/device-connectivity.js";
import type { FusedState } from "../../agent/connectivity/fusion.js";
import type { ProbeOptions } from "../../agent/reachability-probe.js";
import type { Policy } from "../../wasm-core/binding/policy.js";
import { ScriptedDispatcher } from "../agent/scripted-dispatcher.js";
import type { BrokerFixture } from "./broker-fixtures.js";

const SCOPE = "https://kiosk.example/";
const FAST_BACKOFF = { initialMs: 100, maxMs: 400, minConnectTimeoutMs: 3000 };
let serial = 0;

/** A device: agent, connectivity, and what happened to it. */
export async function device(
  t: Test,
  broker: BrokerFixture,
  options: { settleMs?: number; mqtt?: Partial<MqttOptions>; probe?: ProbeOptions; url?: string; handSettled?: boolean; policy?: Partial<Policy> } = {},
) {
  const prefix = `t${process.pid}-${++serial}`;
  const topics = {
    device: options.mqtt?.deviceStatus?.topic ?? `${prefix}/device/net`,
    backend: `${prefix}/spBv1.0/STATE/backend`,
    presence: `${prefix}/presence`,
    summary: `${prefix}/summary`,
  };
  const dispatcher = new ScriptedDispatcher();
  if (!options.handSettled) dispatcher.auto = { outcome: "success" };
  const agent = await Agent.start({
    scheduler: singleTenant(await createScheduler({ preset: "chromium", policy: options.policy })),
    store: new MemoryStore(),
    dispatcher,
    log: () => {},
  });
  const sw = agent.addServiceWorker(SCOPE, { hasWindowClient: () => true });
  const changes: (FusedState & { at: number })[] = [];
  const log: string[] = [];
  const connectivity = new DeviceConnectivity({
    agent,
    clock: systemClock,
    settleMs: options.settleMs ?? 200,
    probe: options.probe,
    mqtt: {
      url: options.url ?? broker.url,
      protocolVersion: broker.protocolVersion,
      clientId: `${prefix}-agent`,
      backoff: FAST_BACKOFF,
      ...broker.login,
      deviceStatus: { topic: topics.device },
      backendStatus: { topic: topics.backend },
      presence: { topic: topics.presence },
      summaryTopic: topics.summary,
      ...options.mqtt,
    },
    log: (m) => log.push(m),
    onChange: (s) => changes.push({ ...s, at: Date.now() }),
  });
  const clients: MqttClient[] = [];
  const client = (id: string, extra: mqtt.IClientOptions = {}) => {
    const c = mqtt.connect(broker.url, {
      clientId: `${prefix}-${id}`,
      protocolVersion: broker.protocolVersion,
      reconnectPeriod: 100,
      connectTimeout: 3000,
      ...broker.login,
      ...extra,
    });
    c.on("error", () => {});
    clients.push(c);
    return c;
  };
  // The firmware republishes its retained status whenever it (re)connects.
  let firmwareStatus: string | undefined = "online";
  const firmware = client("firmware");
  firmware.on("connect", () => {
    if (firmwareStatus !== undefined) firmware.publish(topics.device, firmwareStatus, { qos: 1, retain: true });
  });
  // The backend: Sparkplug host STATE, birth on every connect, Last Will with the same timestamp.
  let backendOnline = true;
  let birth = Date.now();
  const backend = client("backend", {
    will: { topic: topics.backend, payload: Buffer.from(JSON.stringify({ online: false, timestamp: birth })), qos: 1, retain: true },
  });
  backend.on("connect", () => backend.publish(topics.backend, JSON.stringify({ online: backendOnline, timestamp: birth }), { qos: 1, retain: true }));

  t.teardown(async () => {
    await connectivity.close();
    await agent.close();
    for (const c of clients) await c.endAsync(true);
  });
  return {
    agent,
    sw,
    connectivity,
    dispatcher,
    changes,
    log,
    topics,
    client,
    /** Firmware says something now (and says it again after any reconnect). */
    async firmwareSays(payload: string) {
      firmwareStatus = payload;
      await firmware.publishAsync(topics.device, payload, { qos: 1, retain: true });
    },
    async backendSays(online: boolean, timestamp = Date.now()) {
      backendOnline = online;
      birth = timestamp;
      await backend.publishAsync(topics.backend, JSON.stringify({ online, timestamp }), { qos: 1, retain: true });
    },
    online: () => agent.online,
    fired: () => dispatcher.deliveries.length,
  };
}
