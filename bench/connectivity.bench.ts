// npm run bench:connectivity — figures are printed, never asserted.
//
// 1. Latency from a device status publish saying "online" to the service worker's sync
//    listener running: an in-process agent (Node service worker host, real core, real MQTT
//    link, settle time 0 so that only the path is measured), through aedes (the embedded
//    broker, MQTT 3.1.1) and through Debian's mosquitto (MQTT 5). Median and p95.
// 2. A broker restart seen by 1,000 agents: 1,000 real MqttLinks (real mqtt.js clients, this
//    back-off on the real clock, one seed each) against mosquitto killed and restarted after
//    10 s, and for comparison 1,000 plain mqtt.js clients on their fixed 1 s period. Reconnects
//    per second after the restart.
// 3. The same back-off code on virtual time for other outage lengths (1,000 agents each).
// 4. The fusion's own cost, as the simulator pays it: 100,000 fusions on a virtual clock.

import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import mqtt, { type MqttClient } from "mqtt";
import { systemClock } from "../agent/clock.js";
import { startMarkedWorker } from "./marked-worker.js";
import { startEmbeddedBroker } from "../agent/node/embedded-broker.js";
import { newBrokerCredential, type BrokerCredential } from "../agent/node/broker-credential.js";
import { DeviceConnectivity } from "../agent/connectivity/device-connectivity.js";
import { ConnectivityFusion, type Evidence, type SignalName } from "../agent/connectivity/fusion.js";
import type { Clock } from "../agent/clock.js";
import { MqttLink } from "../agent/connectivity/mqtt-link.js";
import { ReconnectBackoff } from "../agent/connectivity/reconnect-backoff.js";
import { seededRandom } from "../agent/connectivity/seeded-random.js";
import { mosquittoProcess } from "./mosquitto-process.js";

const AGENTS = 1000;
const OUTAGE_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const report = (name: string, value: string) => console.log(`${name.padEnd(66)} ${value}`);

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setImmediate(r));
  }
  return true;
}

async function statusToListener(dir: string, broker: { name: string; url: string; protocolVersion: 4 | 5; login?: BrokerCredential }): Promise<void> {
  const worker = await startMarkedWorker(dir);
  const { agent } = worker;
  const topic = `bench/${broker.name}/net`;
  const connectivity = new DeviceConnectivity({
    agent,
    clock: systemClock,
    settleMs: 0,
    mqtt: { url: broker.url, protocolVersion: broker.protocolVersion, clientId: `bench-latency-${broker.name}`, deviceStatus: { topic }, ...broker.login },
  });
  const firmware = await mqtt.connectAsync(broker.url, { protocolVersion: broker.protocolVersion, clientId: `bench-firmware-${broker.name}`, ...broker.login });
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) {
    await firmware.publishAsync(topic, "offline", { qos: 1, retain: true });
    await until(() => !agent.online, 5000);
    await worker.sync.register(`t${i}`);
    await sleep(2);
    worker.clear();
    const t0 = performance.now();
    firmware.publish(topic, "online", { qos: 1, retain: true });
    if (await until(() => worker.marked > 0, 5000)) samples.push(worker.marked - t0);
  }
  await firmware.endAsync();
  await connectivity.close();
  await worker.close();
  report(
    `status "online" published → sync listener running, ${broker.name} (goal ≤ 20 ms median)`,
    `${fmt(quantile(samples, 0.5), 2)} ms median, ${fmt(quantile(samples, 0.95), 2)} ms p95, ${fmt(Math.max(...samples), 2)} ms max (${samples.length} samples)`,
  );
}

/** Reconnects per second after the restart, as a one-line histogram, and its summary. */
function histogram(name: string, times: number[]): void {
  const perSecond = new Map<number, number>();
  for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  const last = Math.max(...perSecond.keys());
  const bars = Array.from({ length: last + 1 }, (_, s) => perSecond.get(s) ?? 0);
  report(
    name,
    `${times.length} back; max ${Math.max(...bars)} in one second; p5–p95 ${fmt(quantile(times, 0.05) / 1000, 1)}–${fmt(quantile(times, 0.95) / 1000, 1)} s; all by ${fmt(Math.max(...times) / 1000, 1)} s`,
  );
  console.log(`${"".padEnd(4)}per second after the restart: ${bars.join(" ")}`);
}

async function herd(kind: "syncward back-off" | "mqtt.js fixed 1 s"): Promise<void> {
  const broker = await mosquittoProcess();
  await broker.start();
  let restartedAt = Infinity;
  const reconnects: number[] = [];
  const connected = new Set<number>();
  const onConnect = (i: number) => {
    connected.add(i);
    if (performance.now() >= restartedAt) reconnects.push(performance.now() - restartedAt);
  };
  const links: MqttLink[] = [];
  const clients: MqttClient[] = [];
  for (let i = 0; i < AGENTS; i++) {
    if (kind === "syncward back-off") {
      links.push(
        new MqttLink({
          url: broker.url,
          clock: systemClock,
          clientId: `herd-${i}`,
          random: seededRandom(i + 1),
          signals: { report: () => {} },
          onConnect: () => onConnect(i),
        }),
      );
    } else {
      const client = mqtt.connect(broker.url, { clientId: `herd-${i}`, protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: 20_000 });
      client.on("connect", () => onConnect(i));
      client.on("error", () => {});
      clients.push(client);
    }
    if (i % 100 === 99) await sleep(20);
  }
  await until(() => connected.size === AGENTS, 60_000);
  await broker.stop("SIGKILL");
  connected.clear();
  await sleep(OUTAGE_MS);
  restartedAt = performance.now();
  await broker.start();
  await until(() => reconnects.length === AGENTS, 120_000);
  histogram(`${AGENTS} agents after mosquitto down ${OUTAGE_MS / 1000} s, ${kind} (real clients)`, reconnects);
  await Promise.all([...links.map((l) => l.close()), ...clients.map((c) => c.endAsync(true))]);
  await broker.stop();
}

/** The back-off alone on virtual time: when each agent's first attempt after the outage falls. */
function virtualHerd(outageMs: number): void {
  const times: number[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const backoff = new ReconnectBackoff({}, seededRandom(i + 1));
    let at = 0;
    while (at < outageMs) at += backoff.next().delayMs;
    times.push(at - outageMs);
  }
  histogram(`${AGENTS} agents after an outage of ${fmt(outageMs / 1000)} s (virtual time, this back-off)`, times);
}

function fusionCost(): void {
  // A clock whose timers are only counted: the cost of the fusion itself, not of a timer queue.
  let now = 0;
  let pending = 0;
  const clock: Clock = {
    monotonic: () => now,
    wall: () => now,
    after: () => ++pending,
    cancel: () => {
      pending--;
    },
  };
  const n = 100_000;
  const heapBefore = process.memoryUsage().heapUsed;
  const fusions = Array.from(
    { length: n },
    () => new ConnectivityFusion({ clock, require: ["broker", "deviceStatus", "backendStatus"], settleMs: 5000, onChange: () => {} }),
  );
  const heapPerFusion = (process.memoryUsage().heapUsed - heapBefore) / n;
  const signals: SignalName[] = ["broker", "deviceStatus", "backendStatus"];
  const evidence: Evidence[] = ["good", "good", "bad", "unknown"];
  const random = seededRandom(3);
  const reports = 2_000_000;
  const start = performance.now();
  for (let i = 0; i < reports; i++) {
    now += 0.05;
    fusions[i % n]!.report(signals[i % 3]!, evidence[Math.floor(random() * 4)]!, i % 2 === 0 ? { ttlMs: 60_000 } : undefined);
  }
  const perSecond = reports / ((performance.now() - start) / 1000);
  report("fusion: report() calls per second over 100,000 fusions", `${fmt(perSecond)} /s, about ${fmt(heapPerFusion)} bytes of heap per fusion`);
}

const dir = await mkdtemp(join(tmpdir(), "syncward-bench-"));
const credential = newBrokerCredential();
const aedes = await startEmbeddedBroker({ port: 0, credential });
await statusToListener(dir, { name: "aedes", url: aedes.url, protocolVersion: 4, login: credential });
await aedes.close();
const mosquitto = await mosquittoProcess();
await mosquitto.start();
await statusToListener(dir, { name: "mosquitto", url: mosquitto.url, protocolVersion: 5 });
await mosquitto.stop();
await herd("syncward back-off");
await herd("mqtt.js fixed 1 s");
for (const outage of [5_000, 30_000, 300_000]) virtualHerd(outage);
fusionCost();
process.exit(0);
