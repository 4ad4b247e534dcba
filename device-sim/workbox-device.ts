// One device running workbox-background-sync's fallback on a runtime without the API
// (Queue with forceSyncFallback, or no SyncManager at all), as its source does it
// (packages/workbox-background-sync/src/Queue.ts, v7):
//  - the page's fetch goes out at once; BackgroundSyncPlugin.fetchDidFail pushes the request
//    into the IndexedDB queue only when fetch() rejects. A 429, a 500 or a captive portal's
//    page is a response: nothing is queued, the message is lost;
//  - the queue is replayed by `_onSync` once, from the Queue's constructor, i.e. when the
//    service worker starts: at boot, after a reboot, and when the kiosk page restarts. No
//    timer, no online listener;
//  - replay is serial: shiftRequest (the entry leaves IndexedDB), fetch, and on rejection
//    unshiftRequest and stop; a response of any status counts as replayed;
//  - entries older than maxRetentionTime are dropped silently when read.
// A crash loses what only lived in memory: a page fetch in flight, and the entry being
// replayed (already shifted out of IndexedDB).

import type { Backend } from "./backend.js";
import { DeviceClock } from "./device-clock.js";
import type { PolicyMetrics } from "./metrics.js";
import { sendRequest, type RequestFate } from "./network.js";
import { ReconnectWatch } from "./reconnect-watch.js";
import { newMessage, type Message } from "./outbox.js";
import type { Rng } from "./rng.js";
import type { DeviceWorld, SimDevice } from "./world.js";

export interface WorkboxFleet {
  backend: Backend;
  metrics: PolicyMetrics;
  maxRetentionMs: number;
}

export class WorkboxDevice implements SimDevice {
  readonly #fleet: WorkboxFleet;
  readonly #world: DeviceWorld;
  readonly #rng: Rng;
  /** The IndexedDB queue (durable), oldest first. */
  readonly #queue: Message[] = [];
  /** Page fetches in flight (memory only). */
  readonly #inFlight = new Set<Message>();
  /** The entry being replayed (shifted out of IndexedDB, memory only). */
  #replaying: Message | undefined;
  #clock: DeviceClock | undefined;
  #lastAttemptAt = NaN;
  readonly #reconnect: ReconnectWatch;

  constructor(fleet: WorkboxFleet, world: DeviceWorld, rng: Rng) {
    this.#fleet = fleet;
    this.#reconnect = new ReconnectWatch(fleet.metrics);
    this.#world = world;
    this.#rng = rng;
  }

  boot(): void {
    this.#clock = new DeviceClock(this.#world.world.queue);
    this.#replay();
  }

  crash(): void {
    this.#fleet.metrics.inFlightAtCrash += this.#inFlight.size + (this.#replaying ? 1 : 0);
    this.#clock?.kill();
    for (const m of this.#inFlight) this.#fleet.metrics.settled(m, "lostInCrash");
    this.#inFlight.clear();
    if (this.#replaying) this.#fleet.metrics.settled(this.#replaying, "lostInCrash");
    this.#replaying = undefined;
  }

  linkChanged(): void {}
  backendChanged(): void {}
  brokerChanged(): void {}

  pageReload(): void {
    // The kiosk page restarts with its service worker: the Queue's constructor replays.
    this.#replay();
  }

  message(seq: number): void {
    const m = newMessage(seq, this.#world.world.queue.now);
    this.#fleet.metrics.created(m);
    this.#inFlight.add(m);
    this.#send(m, (fate) => {
      this.#inFlight.delete(m);
      if (fate.result === "network")
        this.#queue.push(m); // fetchDidFail → pushRequest
      else this.#fleet.metrics.settled(m, fate.result === "ok" ? "acknowledged" : "httpErrorAsSuccess");
    });
  }

  reconnected(): void {
    this.#reconnect.reconnected(this.#world.world.queue.now, this.#queue.length > 0);
  }

  unreachable(): void {
    this.#reconnect.unreachable();
  }

  *waitingMessages(): Iterable<Message> {
    yield* this.#inFlight;
    yield* this.#queue;
    if (this.#replaying) yield this.#replaying;
  }

  finish(): void {
    for (const m of [...this.#inFlight, ...this.#queue]) this.#fleet.metrics.unsettled(m);
    if (this.#replaying) this.#fleet.metrics.unsettled(this.#replaying);
    this.#reconnect.finish();
  }

  #replay(): void {
    if (this.#replaying) return;
    const now = this.#world.world.queue.now;
    // getAll()/shiftRequest() drop expired entries silently.
    while (this.#queue.length > 0 && now - this.#queue[0]!.createdAt > this.#fleet.maxRetentionMs) {
      this.#fleet.metrics.settled(this.#queue.shift()!, "expired");
    }
    const m = this.#queue.shift();
    if (!m) return;
    this.#replaying = m;
    this.#reconnect.attempted(now);
    this.#send(m, (fate) => {
      this.#replaying = undefined;
      if (fate.result === "network") {
        this.#queue.unshift(m); // unshiftRequest, and the replay stops
        return;
      }
      this.#fleet.metrics.settled(m, fate.result === "ok" ? "acknowledged" : "httpErrorAsSuccess");
      this.#replay();
    });
  }

  /** fetch(): no time limit of its own; a stall just takes long. */
  #send(m: Message, done: (fate: RequestFate) => void): void {
    const fleet = this.#fleet;
    const queue = this.#world.world.queue;
    const now = queue.now;
    fleet.metrics.attempts++;
    if (now !== this.#lastAttemptAt) {
      fleet.metrics.wakeups++;
      this.#lastAttemptAt = now;
    }
    const fate = sendRequest(this.#world, fleet.backend, this.#rng, now, Infinity);
    if (!Number.isNaN(fate.arrivedAt)) fleet.metrics.arrived(m, fate.arrivedAt);
    this.#clock!.after(fate.respondAt - now, () => done(fate));
  }
}
