// Fuzzing the status topics through a real broker: 10,000 malformed device statuses (random
// bytes, truncated JSON and words, wrong JSON types, invalid UTF-8, huge payloads) and 2,000
// malformed or out-of-order backend STATEs. Each is logged on one line and ignored; the agent
// stays connected, keeps its last good state, and still acts on good messages afterwards.
import t from "tap";
import mqtt from "mqtt";
import { Agent } from "../../agent/agent.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { systemClock } from "../../agent/clock.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { DeviceConnectivity } from "../../agent/connectivity/device-connectivity.js";
import { seededRandom } from "../../agent/connectivity/seeded-random.js";
import { ScriptedDispatcher } from "../agent/scripted-dispatcher.js";
import { startAedes, until } from "./broker-fixtures.js";

const random = seededRandom(20261121);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const encoder = new TextEncoder();

/** Independent of the parser under test: what a well-formed device status looks like. */
function wellFormed(payload: Uint8Array): boolean {
  if (payload.length === 0 || payload.length > 4096) return payload.length === 0;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(payload).trim();
  } catch {
    return false;
  }
  if (text.toLowerCase() === "online" || text.toLowerCase() === "offline") return true;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return (
      typeof v === "object" &&
      v !== null &&
      typeof v.online === "boolean" &&
      [v.metered, v.onBattery].every((x) => x === undefined || typeof x === "boolean") &&
      (v.timestamp === undefined || (typeof v.timestamp === "number" && Number.isFinite(v.timestamp) && v.timestamp >= 0))
    );
  } catch {
    return false;
  }
}

const WRONG = ["true", 1, 0, null, [], {}, "online", -1, "", [true]];
const good = () => JSON.stringify({ online: true, metered: random() < 0.5, onBattery: random() < 0.5, timestamp: Date.now() - int(1000), rssi: -int(100) });

function malformedDeviceStatus(i: number): Uint8Array {
  switch (i % 6) {
    case 0:
      return Uint8Array.from({ length: 1 + int(200) }, () => int(256));
    case 1: {
      const whole = pick([good(), "online", "offline"]);
      return encoder.encode(whole.slice(0, 1 + int(whole.length - 1)));
    }
    case 2:
      return encoder.encode(JSON.stringify({ online: pick(WRONG), metered: false }));
    case 3:
      return encoder.encode(
        pick([
          JSON.stringify({ online: true, [pick(["metered", "onBattery"])]: pick(WRONG.filter((w) => w !== null)) }),
          JSON.stringify({ online: true, timestamp: pick(["2026-11-21", -5, true, {}]) }),
          '{"online": true, "timestamp": 1e400}',
          JSON.stringify(pick([42, "online", null, true, [{ online: true }], "ONLINE "])),
        ]),
      );
    case 4: {
      const bytes = encoder.encode(pick(["online", "offline", good()]));
      bytes[int(bytes.length)] = pick([0xc3, 0xff, 0xfe, 0x80]);
      return bytes;
    }
    default: {
      // Huge: valid-looking JSON over the size limit; one in a hundred of a megabyte or more.
      const size = i % 600 === 5 ? 1_048_576 + int(1_048_576) : 4097 + int(60_000);
      return encoder.encode(JSON.stringify({ online: true, pad: "x".repeat(size) }));
    }
  }
}

function malformedBackendStatus(i: number, last: number): Uint8Array {
  switch (i % 4) {
    case 0:
      return Uint8Array.from({ length: 1 + int(100) }, () => int(256));
    case 1:
      return encoder.encode(JSON.stringify({ online: pick(WRONG), timestamp: last }));
    case 2:
      return encoder.encode(pick([JSON.stringify({ online: true }), JSON.stringify({ online: false, timestamp: "now" }), "ONLINE", "OFFLINE", "{"]));
    default:
      return encoder.encode(JSON.stringify({ online: false, timestamp: last - 1 - int(10_000) }));
  }
}

t.test("10,000 malformed device statuses and 2,000 bad backend STATEs: each logged and ignored, the last good state kept", async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.stop());
  const dispatcher = new ScriptedDispatcher();
  dispatcher.auto = { outcome: "success" };
  const agent = await Agent.start({
    scheduler: singleTenant(await createScheduler({ preset: "chromium" })),
    store: new MemoryStore(),
    dispatcher,
    log: () => {},
  });
  const sw = agent.addServiceWorker("https://kiosk.example/", { hasWindowClient: () => true });
  const log: string[] = [];
  const topics = { device: "fuzz/device/net", backend: "fuzz/spBv1.0/STATE/backend" };
  const connectivity = new DeviceConnectivity({
    agent,
    clock: systemClock,
    settleMs: 0,
    log: (m) => log.push(m),
    mqtt: {
      url: broker.url,
      protocolVersion: 4,
      clientId: "fuzz-agent",
      ...broker.login,
      deviceStatus: { topic: topics.device },
      backendStatus: { topic: topics.backend },
    },
  });
  t.teardown(async () => {
    await connectivity.close();
    await agent.close();
  });
  const firmware = await mqtt.connectAsync(broker.url, { clientId: "fuzz-firmware", protocolVersion: 4, ...broker.login });
  t.teardown(() => firmware.endAsync(true));
  const birth = Date.now();
  await firmware.publishAsync(topics.device, JSON.stringify({ online: true, metered: true, onBattery: false }), { qos: 1, retain: true });
  await firmware.publishAsync(topics.backend, JSON.stringify({ online: true, timestamp: birth }), { qos: 1, retain: true });
  await until(() => agent.online, "online with good statuses");
  const goodState = { ...connectivity.fusion.state };
  t.match(goodState, { online: true, metered: true, onBattery: false });

  let huge = 0;
  let largest = 0;
  let deviceSent = 0;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 10_000; i++) {
    let payload = malformedDeviceStatus(i);
    while (wellFormed(payload)) payload = malformedDeviceStatus(i + 6 * int(1000));
    if (payload.length > 4096) huge++;
    largest = Math.max(largest, payload.length);
    sends.push(firmware.publishAsync(topics.device, Buffer.from(payload), { qos: 1 }));
    deviceSent++;
    if (sends.length >= 500) await Promise.all(sends.splice(0));
  }
  for (let i = 0; i < 2000; i++) {
    sends.push(firmware.publishAsync(topics.backend, Buffer.from(malformedBackendStatus(i, birth)), { qos: 1 }));
    if (sends.length >= 500) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
  t.ok(huge >= 1500 && largest > 1_048_576, `${huge} payloads over the size limit, the largest ${largest} bytes`);

  const ignoredDevice = () => log.filter((l) => l.startsWith(`mqtt: ignored device status on ${topics.device}: `)).length;
  const ignoredBackend = () => log.filter((l) => l.startsWith(`mqtt: ignored backend status on ${topics.backend}: `)).length;
  await until(() => ignoredDevice() === deviceSent && ignoredBackend() === 2000, "every bad payload logged", 60_000);
  t.equal(ignoredDevice(), 10_000, "10,000 device statuses logged and ignored");
  t.equal(ignoredBackend(), 2000, "2,000 backend STATEs logged and ignored");
  t.ok(log.filter((l) => /older than the last seen/.test(l)).length === 500, "500 of them out of order (older timestamps)");
  t.ok(
    log.every((l) => !l.includes("\n") && l.length < 400),
    "each on one short line",
  );
  t.ok(
    log.some((l) => /payload of \d+ bytes is over 4096/.test(l)) && log.some((l) => /not UTF-8/.test(l)) && log.some((l) => /must be true or false/.test(l)),
    "with its reason",
  );

  t.same(connectivity.fusion.state, goodState, "the last good state is kept");
  t.equal(connectivity.link?.state, "connected", "the link never dropped");
  await sw.sync.register("after-the-fuzz");
  await until(() => dispatcher.deliveries.length === 1, "the agent still fires sync events");
  t.equal(dispatcher.last().tag, "after-the-fuzz", "the agent still fires sync events");
  await firmware.publishAsync(topics.device, "offline", { qos: 1 });
  await until(() => !agent.online, "and still hears good statuses");
  t.match(connectivity.fusion.state, { online: false, reason: "deviceStatus bad" }, "and still hears good statuses");
});
