// The simulated world, shared by every policy: each device's link (an alternating renewal
// process, Weibull up periods and heavy-tailed log-normal down periods), captive-portal
// periods, Gilbert–Elliott stalls, crashes and reboots, the app's message arrivals and page
// reloads, and the fleet-wide outages of the backend, the broker or a share of the links.
// Each device draws from its own random stream, so its world is the same whatever the shard,
// the fleet size or the set of policies; each policy's copy of the device is told of the
// same changes at the same virtual instants.

import type { EventQueue, Timed } from "./event-queue.js";
import { StallProcess } from "./gilbert-elliott.js";
import type { Message } from "./outbox.js";
import { Rng, streamKey } from "./rng.js";
import type { FleetOutage, OutageKind, Scenario } from "./scenario.js";

/** One policy's copy of a device: what the world tells it. */
export interface SimDevice {
  /** Powered on (at the start of the run, or after a crash). */
  boot(): void;
  /** Crashed or lost power: in-flight work is lost, durable storage kept. */
  crash(): void;
  /** The link went up or down, or into or out of a captive portal. */
  linkChanged(): void;
  /** The fleet's backend went down or came back. */
  backendChanged(): void;
  /** The fleet's MQTT broker went down or came back. */
  brokerChanged(): void;
  /** The app queued message number `seq`. */
  message(seq: number): void;
  /** The kiosk page (and its service worker) restarted. */
  pageReload(): void;
  /** The backend became reachable from this device (link up, no portal, backend up). */
  reconnected(): void;
  /** It stopped being reachable. */
  unreachable(): void;
  /** The messages the app still has to get to the backend (queued, or being sent). */
  waitingMessages(): Iterable<Message>;
}

/** A sampled device's connectivity: [time, state] at each change. */
export type LinkState = "up" | "down" | "captive" | "off";

const enum Process {
  Link,
  Power,
  Message,
  Reload,
}

class WorldEntry implements Timed {
  at = 0;
  seq = 0;
  queued = false;
  constructor(
    readonly device: DeviceWorld,
    readonly process: Process,
  ) {}
  fire(now: number): void {
    this.device.handle(this.process, now);
  }
}

export class DeviceWorld {
  readonly rng: Rng;
  readonly stalls: StallProcess | null;
  readonly devices: SimDevice[] = [];
  /** Phase of the device's periodic reachability probe within the probe interval. */
  readonly probePhase: number;
  renewalUp = true;
  renewalEnd = Infinity;
  captive = false;
  /** Fleet link outages affecting this device now. */
  forced = 0;
  on = true;
  crashAt = Infinity;
  /** Wall-clock error at the current boot, and when NTP fixes it. */
  bootSkew = 0;
  bootSyncAt = 0;
  #messages = 0;
  #reachable = false;
  readonly #link = new WorldEntry(this, Process.Link);
  readonly #power = new WorldEntry(this, Process.Power);
  readonly #message = new WorldEntry(this, Process.Message);
  readonly #reload = new WorldEntry(this, Process.Reload);
  readonly trace: [number, LinkState][] | undefined;

  constructor(
    readonly world: World,
    readonly index: number,
    sampled: boolean,
  ) {
    const s = world.scenario;
    this.rng = new Rng(streamKey(s.seed, index, 1));
    this.stalls = s.stalls ? new StallProcess(s.stalls, (epoch) => new Rng(streamKey(s.seed, index, 2, epoch))) : null;
    this.probePhase = this.rng.next() * s.kiosk.probeIntervalMs;
    this.trace = sampled ? [] : undefined;
  }

  /** The link as the device sees it (physically up, not in a fleet link outage). */
  get linkUp(): boolean {
    return this.renewalUp && this.forced === 0;
  }

  /** Whether a request now could reach the backend. */
  get reachable(): boolean {
    return this.on && this.linkUp && !this.captive && this.world.backendUp;
  }

  start(): void {
    const q = this.world.queue;
    const s = this.world.scenario;
    const upMean = s.link.upMeanMs;
    const downSigma = Math.log(s.link.downP99Ms / s.link.downMedianMs) / 2.326347874;
    const downMean = s.link.downMedianMs * Math.exp((downSigma * downSigma) / 2);
    this.renewalUp = this.rng.chance(upMean / (upMean + downMean));
    this.#enterLinkState(0);
    if (s.reboots.perDay > 0) {
      this.crashAt = this.rng.exponential(86_400_000 / s.reboots.perDay);
      q.schedule(this.#power, this.crashAt);
    }
    if (s.workload.perHour > 0) q.schedule(this.#message, this.rng.exponential(3_600_000 / s.workload.perHour));
    // Drawn whether or not it is used, so the rest of the stream is the same for every policy set.
    const reloadPhase = this.rng.next() * s.workbox.pageReloadMs;
    if (this.world.reloads && s.workbox.pageReloadMs > 0) q.schedule(this.#reload, reloadPhase);
    this.#record(0);
    for (const d of this.devices) d.boot();
    this.#updateReachability();
  }

  /** When the link (as a request sees it) next goes away: a link drop, a fleet link outage or a crash. */
  linkEnd(t: number): number {
    let end = this.crashAt;
    if (this.renewalUp && this.renewalEnd < end) end = this.renewalEnd;
    const forced = this.world.nextForcedOutage(this.index, t);
    return forced < end ? forced : end;
  }

  handle(process: Process, now: number): void {
    const s = this.world.scenario;
    switch (process) {
      case Process.Link:
        this.renewalUp = !this.renewalUp;
        this.#enterLinkState(now);
        this.linkChanged(now);
        break;
      case Process.Power:
        if (this.on) {
          this.on = false;
          const downtime = this.rng.lognormal(s.reboots.downMedianMs, s.reboots.downP99Ms);
          this.crashAt = Infinity;
          // Without an RTC the clock comes back at the last saved stamp: behind by the downtime.
          this.bootSkew = s.reboots.rtc ? 0 : -Math.round(downtime);
          this.#record(now);
          for (const d of this.devices) d.crash();
          this.#updateReachability();
          this.world.queue.schedule(this.#power, now + downtime);
        } else {
          this.on = true;
          this.bootSyncAt = now + s.reboots.ntpSyncMs;
          this.crashAt = now + this.rng.exponential(86_400_000 / s.reboots.perDay);
          this.world.queue.schedule(this.#power, this.crashAt);
          this.#record(now);
          for (const d of this.devices) d.boot();
          this.#updateReachability();
        }
        break;
      case Process.Message:
        this.world.queue.schedule(this.#message, now + this.rng.exponential(3_600_000 / s.workload.perHour));
        // Nobody uses a kiosk that is off: arrivals while it is down are not messages.
        if (this.on) {
          const seq = this.#messages++;
          for (const d of this.devices) d.message(seq);
        }
        break;
      case Process.Reload:
        this.world.queue.schedule(this.#reload, now + s.workbox.pageReloadMs);
        if (this.on) for (const d of this.devices) d.pageReload();
        break;
    }
  }

  /** Something about the link changed (renewal, portal, fleet link outage). */
  // Reachability first: a device that hears of the change may attempt at once, and that attempt
  // must find its reconnect armed (told after it, the attempt went unmeasured).
  linkChanged(now: number): void {
    this.#record(now);
    this.#updateReachability();
    if (this.on) for (const d of this.devices) d.linkChanged();
  }

  backendChanged(): void {
    this.#updateReachability();
    if (this.on) for (const d of this.devices) d.backendChanged();
  }

  brokerChanged(): void {
    if (this.on) for (const d of this.devices) d.brokerChanged();
  }

  #enterLinkState(now: number): void {
    const s = this.world.scenario;
    if (this.renewalUp) {
      this.captive = this.rng.chance(s.link.captive);
      this.renewalEnd = now + this.rng.weibull(s.link.upMeanMs, s.link.upShape);
    } else {
      this.captive = false;
      this.renewalEnd = now + this.rng.lognormal(s.link.downMedianMs, s.link.downP99Ms);
    }
    this.world.queue.schedule(this.#link, this.renewalEnd);
  }

  #updateReachability(): void {
    const reachable = this.reachable;
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    for (const d of this.devices)
      if (reachable) d.reconnected();
      else d.unreachable();
  }

  #record(now: number): void {
    if (!this.trace) return;
    const state: LinkState = !this.on ? "off" : !this.linkUp ? "down" : this.captive ? "captive" : "up";
    const last = this.trace[this.trace.length - 1];
    if (last && last[1] === state) return;
    if (last && last[0] === now) this.trace.pop();
    this.trace.push([now, state]);
  }
}

class FleetEntry implements Timed {
  at = 0;
  seq = 0;
  queued = false;
  constructor(
    readonly world: World,
    readonly outage: number,
    readonly starting: boolean,
  ) {}
  fire(): void {
    this.world.fleetChange(this.outage, this.starting);
  }
}

export class World {
  readonly devices: DeviceWorld[] = [];
  backendUp = true;
  brokerUp = true;
  #backendDown = 0;
  #brokerDown = 0;
  /** Per fleet link outage, whether each device of this shard is in it. */
  readonly #chosen: Uint8Array[];
  readonly #outages: readonly FleetOutage[];

  /**
   * @param first index of this shard's first device
   * @param count devices in this shard
   * @param reloads whether page reloads matter to any policy (they cost an event each)
   */
  constructor(
    readonly scenario: Scenario,
    readonly queue: EventQueue,
    readonly first: number,
    count: number,
    readonly sampleDevices: number,
    readonly reloads: boolean,
  ) {
    this.#outages = scenario.fleet;
    this.#chosen = this.#outages.map((o, k) => {
      const chosen = new Uint8Array(count);
      if (o.kind === "link") for (let i = 0; i < count; i++) chosen[i] = streamKey(scenario.seed, first + i, 100 + k) / 2 ** 32 < o.fraction ? 1 : 0;
      return chosen;
    });
    for (let i = 0; i < count; i++) this.devices.push(new DeviceWorld(this, first + i, first + i < sampleDevices));
  }

  /** [start, end) of each fleet-wide backend outage (the backends refuse connections then). */
  backendOutages(): [number, number][] {
    return this.#outages.filter((o) => o.kind === "backend").map((o) => [o.atMs, o.atMs + o.forMs]);
  }

  /** Ends of the fleet-wide outages, in time order: the moments a recovery herd can form. */
  recoveries(): { kind: OutageKind; at: number }[] {
    return this.#outages.map((o) => ({ kind: o.kind, at: o.atMs + o.forMs })).sort((a, b) => a.at - b.at);
  }

  start(): void {
    this.#outages.forEach((o, k) => {
      this.queue.schedule(new FleetEntry(this, k, true), o.atMs);
      this.queue.schedule(new FleetEntry(this, k, false), o.atMs + o.forMs);
    });
    for (const d of this.devices) d.start();
  }

  /** The next start of a fleet link outage that will take this device's link, after `t`. */
  nextForcedOutage(index: number, t: number): number {
    let next = Infinity;
    this.#outages.forEach((o, k) => {
      if (o.kind === "link" && o.atMs > t && o.atMs < next && this.#chosen[k]![index - this.first] === 1) next = o.atMs;
    });
    return next;
  }

  /**
   * The world changed at the end of a fleet-wide outage and no device has heard of it yet;
   * `recovery` is its index in recoveries(). The simulator takes the recovery's backlog here.
   */
  onRecovered: ((recovery: number) => void) | undefined;

  fleetChange(k: number, starting: boolean): void {
    const o = this.#outages[k]!;
    const now = this.queue.now;
    if (o.kind === "backend") {
      this.#backendDown += starting ? 1 : -1;
      this.backendUp = this.#backendDown === 0;
    } else if (o.kind === "broker") {
      this.#brokerDown += starting ? 1 : -1;
      this.brokerUp = this.#brokerDown === 0;
    }
    const changed: DeviceWorld[] = [];
    if (o.kind === "link") {
      const chosen = this.#chosen[k]!;
      for (let i = 0; i < this.devices.length; i++) {
        if (chosen[i] !== 1) continue;
        const d = this.devices[i]!;
        const before = d.linkUp;
        d.forced += starting ? 1 : -1;
        if (d.linkUp !== before) changed.push(d);
      }
    }
    if (!starting) this.onRecovered?.(this.#recoveryIndex(k));
    if (o.kind === "backend") for (const d of this.devices) d.backendChanged();
    else if (o.kind === "broker") for (const d of this.devices) d.brokerChanged();
    else for (const d of changed) d.linkChanged(now);
  }

  /** Outage k's place in recoveries() (a stable sort by end time). */
  #recoveryIndex(k: number): number {
    const end = (o: FleetOutage) => o.atMs + o.forMs;
    const mine = end(this.#outages[k]!);
    return this.#outages.filter((o, j) => end(o) < mine || (end(o) === mine && j < k)).length;
  }
}
