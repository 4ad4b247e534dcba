// `syncward sim --mqtt [URL]`: the kiosk policy's connectivity through a real MQTT broker, in
// real time, for up to 1,000 devices. Each device runs the real Agent with the agent's own
// connectivity assembly (DeviceConnectivity: an MqttLink with its jittered gRPC back-off, the
// backend's Sparkplug STATE topic, the fusion requiring broker and backendStatus, the real
// agent's default rule, and the backend's admission topic). A simulated backend publishes its
// retained STATE and admission (its capacity × `backend.admission`, for the fleet). The fleet outage is
// a real broker stop and start: the embedded aedes broker closed and started again on its
// port, or, for an external broker, a local TCP relay in front of it closed and reopened.
// Measured: how the devices connect, how their reconnects spread after the restart, when
// each Agent is online again and attempts its waiting work, and the backend's herd.
// Real time and real sockets: not deterministic, unlike the simulated runs.

import { createServer, connect as tcpConnect, type Server, type Socket } from "node:net";
import mqtt from "mqtt";
import type { Agent } from "../agent/agent.js";
import { DeviceConnectivity } from "../agent/connectivity/device-connectivity.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "../agent/node/embedded-broker.js";
import { newBrokerCredential, type BrokerCredential } from "../agent/node/broker-credential.js";
import type { AgentDevice } from "./agent-device.js";
import type { DeviceClock } from "./device-clock.js";
import { FleetSim } from "./fleet.js";
import { Histogram } from "./histogram.js";
import { buildReport, type Quantiles, type Report } from "./report.js";
import { Rng, streamKey } from "./rng.js";
import type { Scenario } from "./scenario.js";

/** Real MQTT connections in one process: more is a load test of the broker, not of sync. */
export const MQTT_MAX_DEVICES = 1000;

export interface MqttFigures {
  /** "embedded aedes" or the external broker's URL (without credentials). */
  broker: string;
  devices: number;
  /** Devices connected and online before the broker stopped. */
  connected: number;
  /** Device start → first connection to the broker. */
  connectMs: Quantiles;
  /** When the broker stopped and started again, ms from the start of the run. */
  stoppedAt: number;
  startedAt: number;
  /** Devices connected again before the end. */
  reconnected: number;
  /** Broker start → each device's reconnection. */
  reconnectMs: Quantiles;
  peakReconnectsPerSecond: number;
  /** Broker start → each Agent online again (after the fusion's settle time). */
  onlineMs: Quantiles;
  /** Broker start → each device's first sync attempt. */
  firstAttemptMs: Quantiles;
}

export interface MqttOptions {
  /** How long the broker stays down (default: the scenario's first broker outage, at most 60 s; else 20 s). */
  outageMs?: number;
  /** Give up waiting for reconnections and deliveries this long after the broker is back (default 150 s). */
  settleMs?: number;
  onProgress?: (share: number) => void;
}

const BACKEND_TOPIC = "syncward-sim/backend/state";
const ADMISSION_TOPIC = "syncward-sim/backend/admission";

function quantiles(h: Histogram): Quantiles {
  const r = (x: number) => (Number.isNaN(x) ? NaN : Math.round(x));
  return { p50: r(h.quantile(0.5)), p95: r(h.quantile(0.95)), p99: r(h.quantile(0.99)), max: r(h.max), samples: h.count };
}

/** Something that can stop and start the broker the devices talk to. */
interface Outage {
  url: string;
  label: string;
  /** What every client presents to the embedded broker; an external one takes its credentials from the URL. */
  login: Partial<BrokerCredential>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function embedded(): Promise<Outage> {
  const credential = newBrokerCredential();
  let broker: EmbeddedBroker | undefined = await startEmbeddedBroker({ port: 0, credential });
  const port = broker.port;
  return {
    url: broker.url,
    label: "embedded aedes",
    login: credential,
    stop: async () => {
      await broker?.close();
      broker = undefined;
    },
    start: async () => {
      broker = await startEmbeddedBroker({ port, credential });
    },
    close: async () => {
      await broker?.close();
      broker = undefined;
    },
  };
}

/** A TCP relay on loopback in front of an external broker: closing it is the outage. */
async function relay(url: string): Promise<Outage> {
  const target = new URL(url);
  if (target.protocol !== "mqtt:" && target.protocol !== "tcp:")
    throw new Error(`--mqtt with an external broker needs an mqtt:// URL (the outage is a TCP relay), got ${target.protocol}//`);
  const host = target.hostname;
  const port = Number(target.port || 1883);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (at: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer((inbound) => {
        const outbound = tcpConnect(port, host);
        sockets.add(inbound).add(outbound);
        inbound.pipe(outbound).pipe(inbound);
        const drop = () => {
          inbound.destroy();
          outbound.destroy();
          sockets.delete(inbound);
          sockets.delete(outbound);
        };
        inbound.on("error", drop).on("close", drop);
        outbound.on("error", drop).on("close", drop);
      });
      s.once("error", reject);
      s.listen(at, "127.0.0.1", () => {
        server = s;
        resolve((s.address() as { port: number }).port);
      });
    });
  const relayPort = await listen(0);
  const shut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  const shown = new URL(url);
  shown.username = "";
  shown.password = "";
  return {
    url: `mqtt://${target.username ? `${target.username}:${target.password}@` : ""}127.0.0.1:${relayPort}`,
    label: shown.href,
    login: {},
    stop: shut,
    start: async () => {
      await listen(relayPort);
    },
    close: shut,
  };
}

/**
 * The simulated backend's Sparkplug STATE (retained online, its Will retained offline) and its
 * admission topic: `admission` requests/s for the whole fleet (omitted when 0), retained.
 */
function backendState(url: string, login: Partial<BrokerCredential>, birth: number, admission: { rate: number; devices: number }): mqtt.MqttClient {
  const client = mqtt.connect(url, {
    clientId: `syncward-sim-backend-${birth}`,
    protocolVersion: 4,
    reconnectPeriod: 500,
    clean: true,
    ...login,
    will: { topic: BACKEND_TOPIC, payload: JSON.stringify({ online: false, timestamp: birth }), qos: 1, retain: true },
  });
  // An embedded broker forgets retained messages when it stops: publish again on each connect.
  client.on("connect", () => {
    client.publish(BACKEND_TOPIC, JSON.stringify({ online: true, timestamp: birth }), { qos: 1, retain: true });
    if (admission.rate > 0) client.publish(ADMISSION_TOPIC, JSON.stringify({ ...admission, timestamp: Date.now(), ttlMs: 600_000 }), { qos: 1, retain: true });
  });
  client.on("error", () => {});
  return client;
}

/** Run the kiosk fleet of `scenario` (≤ 1,000 devices) through a real broker. */
export async function runMqtt(scenario: Scenario, externalUrl: string | undefined, options: MqttOptions = {}): Promise<Report> {
  if (scenario.devices > MQTT_MAX_DEVICES)
    throw new RangeError(`--mqtt runs at most ${MQTT_MAX_DEVICES.toLocaleString("en-US")} devices (real connections), got ${scenario.devices}`);
  const firstBrokerOutage = scenario.fleet.find((f) => f.kind === "broker");
  const outageMs = options.outageMs ?? (firstBrokerOutage ? Math.min(60_000, firstBrokerOutage.forMs) : 20_000);
  const settleMs = options.settleMs ?? 150_000;
  const cap = 60_000 + outageMs + settleMs;
  // The world runs the kiosk policy only (the others never look at MQTT), no crashes (a
  // reboot would need a new MQTT client), no simulated fleet outages (the real one replaces them).
  const world: Scenario = { ...scenario, policies: ["kiosk"], fleet: [], durationMs: cap, reboots: { ...scenario.reboots, perDay: 0 } };

  const outage = externalUrl === undefined ? await embedded() : await relay(externalUrl);
  const direct = externalUrl ?? outage.url;
  const birth = Date.now();
  const admission = { rate: (scenario.backend.capacityPer1000 * world.devices * scenario.backend.admission) / 1000, devices: world.devices };
  const backend = backendState(direct, outage.login, birth, admission);
  const started = performance.now();
  const live = () => performance.now() - started;
  const connections: DeviceConnectivity[] = [];
  const connectedAt = new Float64Array(world.devices).fill(NaN);
  const reconnectedAt = new Float64Array(world.devices).fill(NaN);
  const onlineAt = new Float64Array(world.devices).fill(NaN);
  const firstAttemptAt = new Float64Array(world.devices).fill(NaN);
  let stoppedAt: number;
  let startedAgainAt = NaN;
  let online = 0;
  const isOnline = new Uint8Array(world.devices);

  const sim = await FleetSim.create(
    world,
    { index: 0, count: 1 },
    {
      externalConnectivity: true,
      live,
      onEvent: (_policy, device, e) => {
        if (e.eventName === "Dispatched sync event" && !Number.isNaN(startedAgainAt) && Number.isNaN(firstAttemptAt[device]!)) firstAttemptAt[device] = live();
      },
      onBoot: (_policy, device, agent: Agent, clock: DeviceClock) => {
        const rng = new Rng(streamKey(world.seed, device, 3000));
        connections[device] = new DeviceConnectivity({
          agent: {
            setConditions: (c) => {
              if (c.online !== (isOnline[device] === 1)) {
                isOnline[device] = c.online ? 1 : 0;
                online += c.online ? 1 : -1;
                if (c.online && !Number.isNaN(startedAgainAt) && Number.isNaN(onlineAt[device]!)) onlineAt[device] = live();
              }
              agent.setConditions(c);
            },
            setScopeOnline: () => {},
            status: () => agent.status(),
            nextWakeup: () => agent.nextWakeup(),
            setPace: (share, slotAt) => agent.setPace(share, slotAt),
          },
          clock,
          mqtt: {
            url: outage.url,
            clientId: `syncward-sim-${birth.toString(36)}-${device}`,
            protocolVersion: externalUrl === undefined ? 4 : 5,
            ...outage.login,
            backendStatus: { topic: BACKEND_TOPIC },
            ...(admission.rate > 0 ? { admission: { topic: ADMISSION_TOPIC } } : {}),
            random: () => rng.next(),
          },
          require: ["broker", "backendStatus"],
          ...(world.kiosk.settleMs === undefined ? {} : { settleMs: world.kiosk.settleMs }),
          log: (line) => {
            if (!line.startsWith("mqtt: connected to")) return;
            const t = live();
            if (Number.isNaN(connectedAt[device]!)) connectedAt[device] = t;
            else if (!Number.isNaN(startedAgainAt) && Number.isNaN(reconnectedAt[device]!)) reconnectedAt[device] = t;
          },
        });
      },
    },
  );

  const devices = sim.devices.get("kiosk")! as AgentDevice[];
  const rng = new Rng(streamKey(world.seed, 4000));
  const arrivals = (from: number) => devices.map(() => from + rng.next() * outageMs);
  let phase: "connecting" | "down" | "recovering" = "connecting";
  let seq = 1_000_000;
  const everyone = () => online === world.devices;
  const settled = () => phase === "recovering" && devices.every((d) => d.waitingTags().length === 0) && reconnectedAt.every((t) => !Number.isNaN(t));

  try {
    await sim.queue.runRealTime(60_000, live, everyone);
    const connected = online;
    // One message each while all is well, then the broker goes away.
    for (const d of devices) d.message(seq++);
    await sim.queue.runRealTime(live() + 3000, live);
    stoppedAt = live();
    phase = "down";
    await outage.stop();
    options.onProgress?.(0.3);
    // Messages queued while the broker is down wait for it.
    arrivals(live()).forEach((at, i) => sim.queue.after(at - sim.queue.now, () => devices[i]!.message(seq++)));
    await sim.queue.runRealTime(stoppedAt + outageMs, live);
    await outage.start();
    startedAgainAt = live();
    phase = "recovering";
    options.onProgress?.(0.6);
    await sim.queue.runRealTime(startedAgainAt + settleMs, live, settled);
    options.onProgress?.(1);

    const result = sim.finish();
    const end = Math.ceil(live());
    result.durationMs = end;
    result.recoveries = [{ kind: "broker", at: startedAgainAt }];
    const report = buildReport([result], live());
    const hist = (values: Float64Array, from: (i: number) => number) => {
      const h = new Histogram();
      values.forEach((t, i) => {
        if (!Number.isNaN(t)) h.add(t - from(i));
      });
      return h;
    };
    const perSecond = new Map<number, number>();
    for (const t of reconnectedAt)
      if (!Number.isNaN(t)) perSecond.set(Math.floor((t - startedAgainAt) / 1000), (perSecond.get(Math.floor((t - startedAgainAt) / 1000)) ?? 0) + 1);
    report.mqtt = {
      broker: outage.label,
      devices: world.devices,
      connected,
      connectMs: quantiles(hist(connectedAt, () => 0)),
      stoppedAt: Math.round(stoppedAt),
      startedAt: Math.round(startedAgainAt),
      reconnected: reconnectedAt.filter((t) => !Number.isNaN(t)).length,
      reconnectMs: quantiles(hist(reconnectedAt, () => startedAgainAt)),
      peakReconnectsPerSecond: Math.max(0, ...perSecond.values()),
      onlineMs: quantiles(hist(onlineAt, () => startedAgainAt)),
      firstAttemptMs: quantiles(hist(firstAttemptAt, () => startedAgainAt)),
    };
    return report;
  } finally {
    await Promise.all(connections.map((c) => c?.close()));
    await backend.endAsync(true);
    await outage.close();
  }
}
