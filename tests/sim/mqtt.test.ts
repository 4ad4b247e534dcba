// --mqtt: the kiosk fleet's connectivity through a real broker, in real time. The broker is
// really stopped and started (the embedded aedes; mosquitto behind the relay); every device
// connects, loses it, comes back spread out by its jittered back-off, goes online only after
// the fusion's settle time, and sends what it queued meanwhile.
import t, { type Test } from "tap";
import { mosquittoProcess } from "../../bench/mosquitto-process.js";
import { runMqtt } from "../../device-sim/mqtt-mode.js";
import { reportTable } from "../../device-sim/report-table.js";
import { smallScenario } from "./small-scenario.js";

const DEVICES = 30;
const OUTAGE = 6000;
const scenario = smallScenario(undefined, {
  devices: DEVICES,
  workload: { perHour: 0 },
  kiosk: { require: ["probe"], settle: "2s", probeInterval: "30s" },
  backend: { capacityPer1000: 1000 },
});

async function check(t: Test, url: string | undefined) {
  const report = await runMqtt(scenario, url, { outageMs: OUTAGE, settleMs: 60_000 });
  const m = report.mqtt!;
  t.equal(m.connected, DEVICES, "every device connected and online before the outage");
  t.ok(m.startedAt - m.stoppedAt >= OUTAGE, `the broker was down ${m.startedAt - m.stoppedAt} ms`);
  t.equal(m.reconnected, DEVICES, "every device reconnected");
  t.ok(m.reconnectMs.max < 60_000, `reconnects within ${m.reconnectMs.max} ms of the start`);
  t.ok(
    m.reconnectMs.max - m.reconnectMs.p50 > 200 || m.peakReconnectsPerSecond < DEVICES,
    `spread out: p50 ${m.reconnectMs.p50} ms, max ${m.reconnectMs.max} ms, at most ${m.peakReconnectsPerSecond}/s`,
  );
  t.equal(m.onlineMs.samples, DEVICES, "every Agent went online again");
  t.ok(m.onlineMs.p50 >= m.reconnectMs.p50 + 1500, `online after the settle time: ${m.onlineMs.p50} ms vs reconnect ${m.reconnectMs.p50} ms`);
  t.equal(m.firstAttemptMs.samples, DEVICES, "every device attempted its waiting message");
  t.ok(m.firstAttemptMs.p50 >= m.onlineMs.p50, "not before it was online");
  const kiosk = report.policies[0]!;
  t.equal(kiosk.registered, 2 * DEVICES, "one message before the outage and one during it, per device");
  t.equal(kiosk.delivered, kiosk.registered, "all delivered");
  t.equal(kiosk.problems, 0);
  t.match(reportTable(report), /real MQTT broker .* 30 devices: 30 online before the outage/);
}

t.test("the embedded broker stopped and started", async (t) => {
  await check(t, undefined);
});

t.test("mosquitto behind the relay", async (t) => {
  const mosquitto = await mosquittoProcess();
  await mosquitto.start();
  t.teardown(() => mosquitto.stop());
  await check(t, mosquitto.url);
});
