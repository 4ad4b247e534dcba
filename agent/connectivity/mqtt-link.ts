// The agent's MQTT connection and the three signals it carries: the broker link itself, the
// firmware's device status topic and the backend's Sparkplug-style status topic; and the
// backend's admission topic, whose share it hands to the Agent's pace (admission.ts). It also
// publishes the agent's presence (retained "online", Last Will retained "offline") and
// anything else the agent wants to say (the registration summary).
//
// The agent owns reconnection (mqtt.js's fixed 1 s period is switched off): a jittered
// exponential back-off on the Clock port, so a test can check the curve on a manual clock and
// a fleet spreads out after a broker restart. After a connect without a session it
// re-subscribes and treats both statuses as unknown until the retained messages come again.
//
// Isomorphic: the `mqtt` package speaks TCP/TLS in Node and WebSocket (ws://, wss://) in a page;
// nothing here imports Node.

import mqtt, { type IClientOptions, type MqttClient, type IConnackPacket } from "mqtt";
import type { Clock } from "../clock.js";
import type { Evidence, EvidenceDetail, SignalName } from "./fusion.js";
import { AdmissionFollower } from "./admission.js";
import { ReconnectBackoff, type ReconnectBackoffOptions } from "./reconnect-backoff.js";
import { excerpt, parseBackendStatus, parseDeviceStatus, type DeviceStatusFormat } from "./status-payload.js";

/** Where the link's evidence goes: a ConnectivityFusion, or anything with its report(). */
export interface SignalSink {
  report(signal: SignalName, evidence: Evidence, detail?: EvidenceDetail): void;
}

export interface StatusTopic {
  topic: string;
  /**
   * The status is stale (unknown) this long after it was published: after the payload's own
   * timestamp when it carries one, else after it arrived. Default: never stale.
   */
  ttlMs?: number;
}

export interface MqttLinkOptions {
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string;
  clock: Clock;
  signals: SignalSink;
  /** Problems and state changes, one line each (malformed payloads land here). */
  log?: (message: string) => void;
  /** Default: "syncward-" and 8 random hex digits. */
  clientId?: string;
  username?: string;
  password?: string;
  /** TLS in Node (mqtts://): trusted CA certificates (PEM), a client certificate and key. */
  tls?: { ca?: string | Uint8Array; cert?: string | Uint8Array; key?: string | Uint8Array; rejectUnauthorized?: boolean };
  /** 5 (default) or 4 (3.1.1). A broker that refuses 5 is retried with 4. */
  protocolVersion?: 4 | 5;
  /** Default 30 s: a dead TCP path is noticed within 1.5 × this. */
  keepaliveSeconds?: number;
  /** Keep the session (subscriptions, queued QoS 1 messages) this long across a loss. Default 0: a clean session each time. */
  sessionExpirySeconds?: number;
  deviceStatus?: StatusTopic & DeviceStatusFormat;
  backendStatus?: StatusTopic;
  /** The backend's admission topic (admission.ts); `ttlMs`: how long a payload without its own holds. */
  admission?: StatusTopic;
  /** The share the admission topic gives (requests/s), or undefined: the policy's own pacing (the Agent's setPace). */
  onPace?: (requestsPerSecond: number | undefined, slotAt?: number) => void;
  /** Retained `online` after each connect, retained `offline` as the Last Will and at close. */
  presence?: { topic: string; online?: string; offline?: string; willDelaySeconds?: number };
  backoff?: ReconnectBackoffOptions;
  /** Uniform in [0, 1): the back-off jitter and the default client id. Default Math.random. */
  random?: () => number;
  /** Called on every connect (after resubscribing and the presence publish were sent). */
  onConnect?: (info: { sessionPresent: boolean }) => void;
}

export type LinkState = "connecting" | "connected" | "waiting" | "closed";

export interface LinkStatus {
  url: string;
  clientId: string;
  state: LinkState;
  protocolVersion: 4 | 5;
  /** Attempts since the last successful connect. */
  failedAttempts: number;
  lastError: string | undefined;
  /** How long until the next attempt (while waiting). */
  nextAttemptInMs: number | undefined;
  /** The backend's last accepted STATE timestamp. */
  backendTimestamp: number | undefined;
}

export class MqttLink {
  readonly #options: MqttLinkOptions;
  readonly #clock: Clock;
  readonly #signals: SignalSink;
  readonly #log: (message: string) => void;
  readonly #backoff: ReconnectBackoff;
  readonly #client: MqttClient;
  readonly clientId: string;
  /** The URL without credentials, for logs and status. */
  readonly #shownUrl: string;
  #state: LinkState = "connecting";
  #protocolVersion: 4 | 5;
  #failedAttempts = 0;
  #lastError: string | undefined;
  #timer: unknown;
  #nextAttemptAt: number | undefined;
  /** The earliest start of the next attempt, set when an attempt starts. */
  #earliestNext = 0;
  #backendTimestamp: number | undefined;
  readonly #admission: AdmissionFollower | undefined;

  constructor(options: MqttLinkOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#signals = options.signals;
    this.#log = options.log ?? (() => {});
    const random = options.random ?? Math.random;
    this.#backoff = new ReconnectBackoff(options.backoff, random);
    this.clientId =
      options.clientId ??
      `syncward-${Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, "0")}`;
    this.#protocolVersion = options.protocolVersion ?? 5;
    this.#shownUrl = withoutCredentials(options.url);
    const { admission, onPace } = options;
    if (admission && onPace)
      this.#admission = new AdmissionFollower({ clock: this.#clock, topic: admission.topic, ttlMs: admission.ttlMs, log: this.#log, apply: onPace });
    const first = this.#backoff.next();
    this.#earliestNext = this.#clock.monotonic() + first.delayMs;
    this.#client = mqtt.connect(options.url, this.#clientOptions(first.connectTimeoutMs));
    this.#client.on("connect", (connack) => this.#connected(connack));
    this.#client.on("message", (topic, payload) => this.#message(topic, payload));
    this.#client.on("error", (error) => this.#error(error));
    this.#client.on("close", () => this.#lost());
  }

  get state(): LinkState {
    return this.#state;
  }

  /** With an admission topic: the share in force (requests/s), null while falling back to the policy. */
  get admissionPerDevice(): number | null | undefined {
    return this.#admission && (this.#admission.perDevice ?? null);
  }

  status(): LinkStatus {
    return {
      url: this.#shownUrl,
      clientId: this.clientId,
      state: this.#state,
      protocolVersion: this.#protocolVersion,
      failedAttempts: this.#failedAttempts,
      lastError: this.#lastError,
      nextAttemptInMs: this.#nextAttemptAt === undefined ? undefined : Math.max(0, this.#nextAttemptAt - this.#clock.monotonic()),
      backendTimestamp: this.#backendTimestamp,
    };
  }

  /**
   * Publish while connected (QoS 1); false when not connected (nothing is queued: callers
   * republish their latest state from onConnect).
   */
  publish(topic: string, payload: string, options: { retain?: boolean } = {}): boolean {
    if (this.#state !== "connected") return false;
    this.#client.publish(topic, payload, { qos: 1, retain: options.retain ?? false }, (error) => {
      if (error && this.#state === "connected") this.#log(`mqtt: publish to ${topic} failed: ${error.message}`);
    });
    return true;
  }

  /**
   * Another signal says the network is back (an out-of-band reason to believe the broker is
   * reachable): skip the rest of the back-off and try now.
   */
  reconnectNow(): void {
    if (this.#state === "waiting") this.#attempt();
  }

  /** Say goodbye (retained presence `offline`, a clean DISCONNECT so the Will is not sent) and stop. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const wasConnected = this.#state === "connected";
    this.#state = "closed";
    this.#admission?.close();
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    const presence = this.#options.presence;
    if (wasConnected && presence) {
      await new Promise<void>((resolve) => this.#client.publish(presence.topic, presence.offline ?? "offline", { qos: 1, retain: true }, () => resolve()));
    }
    await this.#client.endAsync(!wasConnected);
  }

  #clientOptions(connectTimeoutMs: number): IClientOptions {
    const o = this.#options;
    const v5 = this.#protocolVersion === 5;
    const session = o.sessionExpirySeconds ?? 0;
    const options: IClientOptions = {
      clientId: this.clientId,
      protocolVersion: this.#protocolVersion,
      reconnectPeriod: 0,
      connectTimeout: connectTimeoutMs,
      keepalive: o.keepaliveSeconds ?? 30,
      clean: session === 0,
      resubscribe: false,
      queueQoSZero: false,
      ...(v5 && session > 0 ? { properties: { sessionExpiryInterval: session } } : {}),
    };
    if (o.username !== undefined) options.username = o.username;
    if (o.password !== undefined) options.password = o.password;
    if (o.tls) {
      const { ca, cert, key, rejectUnauthorized } = o.tls;
      if (ca !== undefined) options.ca = toTls(ca);
      if (cert !== undefined) options.cert = toTls(cert);
      if (key !== undefined) options.key = toTls(key);
      if (rejectUnauthorized !== undefined) options.rejectUnauthorized = rejectUnauthorized;
    }
    if (o.presence) {
      const delay = o.presence.willDelaySeconds ?? 0;
      options.will = {
        topic: o.presence.topic,
        payload: o.presence.offline ?? "offline",
        qos: 1,
        retain: true,
        ...(v5 && delay > 0 ? { properties: { willDelayInterval: delay } } : {}),
      };
    }
    return options;
  }

  #connected(connack: IConnackPacket): void {
    if (this.#state === "closed") return;
    const sessionPresent = connack.sessionPresent === true;
    this.#state = "connected";
    if (this.#failedAttempts > 0) this.#log(`mqtt: connected to ${this.#shownUrl} after ${this.#failedAttempts} failed attempt(s)`);
    else this.#log(`mqtt: connected to ${this.#shownUrl}`);
    this.#failedAttempts = 0;
    this.#lastError = undefined;
    this.#backoff.reset();
    const { deviceStatus, backendStatus, admission, presence } = this.#options;
    if (!sessionPresent) {
      // Whatever was known came from a session that is gone: trust only what the retained
      // messages say now.
      if (deviceStatus) this.#signals.report("deviceStatus", "unknown");
      if (backendStatus) this.#signals.report("backendStatus", "unknown");
      const topics = [deviceStatus?.topic, backendStatus?.topic, admission?.topic].filter((t): t is string => t !== undefined);
      if (topics.length > 0) {
        this.#client.subscribe(topics, { qos: 1 }, (error) => {
          if (error && this.#state === "connected") this.#log(`mqtt: subscribing to ${topics.join(", ")} failed: ${error.message}`);
        });
      }
    }
    if (presence) this.publish(presence.topic, presence.online ?? "online", { retain: true });
    this.#signals.report("broker", "good");
    this.#options.onConnect?.({ sessionPresent });
  }

  #message(topic: string, payload: Uint8Array): void {
    if (this.#state !== "connected") return;
    const { deviceStatus, backendStatus } = this.#options;
    if (deviceStatus && topic === deviceStatus.topic) this.#deviceStatus(deviceStatus, payload);
    if (backendStatus && topic === backendStatus.topic) this.#backendStatus(backendStatus, payload);
    if (this.#options.admission?.topic === topic) this.#admission?.message(payload);
  }

  #deviceStatus(config: StatusTopic & DeviceStatusFormat, payload: Uint8Array): void {
    const status = parseDeviceStatus(payload, config);
    if (!status.ok) {
      this.#log(`mqtt: ignored device status on ${config.topic}: ${status.problem}: ${excerpt(payload)}`);
      return;
    }
    const detail: EvidenceDetail = {};
    if (status.metered !== undefined) detail.metered = status.metered;
    if (status.onBattery !== undefined) detail.onBattery = status.onBattery;
    const ttl = this.#ttl(config.ttlMs, status.timestamp);
    if (ttl !== undefined) detail.ttlMs = ttl;
    this.#signals.report("deviceStatus", status.online === undefined ? "unknown" : status.online ? "good" : "bad", detail);
  }

  #backendStatus(config: StatusTopic, payload: Uint8Array): void {
    const status = parseBackendStatus(payload);
    if (!status.ok) {
      this.#log(`mqtt: ignored backend status on ${config.topic}: ${status.problem}: ${excerpt(payload)}`);
      return;
    }
    if (status.online === undefined) {
      this.#signals.report("backendStatus", "unknown");
      return;
    }
    // Sparkplug: a STATE older than the last one seen is out of order. An equal timestamp is
    // the backend's Last Will, which carries the timestamp of the birth it ends.
    if (this.#backendTimestamp !== undefined && status.timestamp < this.#backendTimestamp) {
      this.#log(`mqtt: ignored backend status on ${config.topic}: timestamp ${status.timestamp} is older than the last seen ${this.#backendTimestamp}`);
      return;
    }
    this.#backendTimestamp = status.timestamp;
    const ttl = this.#ttl(config.ttlMs, status.timestamp);
    this.#signals.report("backendStatus", status.online ? "good" : "bad", ttl === undefined ? undefined : { ttlMs: ttl });
  }

  /** What is left of the TTL: from the payload's own timestamp if it has one (clamped at "now"). */
  #ttl(ttlMs: number | undefined, timestamp: number | undefined): number | undefined {
    if (ttlMs === undefined) return undefined;
    if (timestamp === undefined) return ttlMs;
    return Math.max(0, ttlMs - Math.max(0, this.#clock.wall() - timestamp));
  }

  #error(error: Error & { code?: string | number }): void {
    if (this.#state === "closed") return;
    const code = error.code;
    if (this.#protocolVersion === 5 && (code === 1 || code === 132)) {
      this.#protocolVersion = 4;
      this.#log(`mqtt: ${this.#shownUrl} refused MQTT 5; using MQTT 3.1.1`);
      Object.assign(this.#client.options, this.#clientOptions(this.#client.options.connectTimeout ?? 30_000));
      this.#earliestNext = this.#clock.monotonic();
      this.#lastError = error.message;
      return;
    }
    const message = error.message || String(code);
    if (message !== this.#lastError) this.#log(`mqtt: ${message}`);
    this.#lastError = message;
  }

  #lost(): void {
    if (this.#state === "closed" || this.#state === "waiting") return;
    const now = this.#clock.monotonic();
    if (this.#state === "connected") {
      this.#log(`mqtt: lost the connection to ${this.#shownUrl}`);
      this.#earliestNext = now + this.#backoff.next().delayMs;
    } else {
      this.#failedAttempts++;
    }
    this.#state = "waiting";
    this.#signals.report("broker", "bad");
    const at = Math.max(now, this.#earliestNext);
    this.#nextAttemptAt = at;
    this.#timer = this.#clock.after(at - now, () => {
      this.#timer = undefined;
      this.#attempt();
    });
  }

  #attempt(): void {
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#nextAttemptAt = undefined;
    this.#state = "connecting";
    const { delayMs, connectTimeoutMs } = this.#backoff.next();
    this.#earliestNext = this.#clock.monotonic() + delayMs;
    this.#client.options.connectTimeout = connectTimeoutMs;
    this.#client.reconnect();
  }
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.href;
  } catch {
    return url;
  }
}

/** mqtt.js types TLS material as Node Buffers; a Uint8Array is what a Buffer is. */
function toTls(value: string | Uint8Array): string | Buffer {
  return typeof value === "string" ? value : (value as Buffer);
}
