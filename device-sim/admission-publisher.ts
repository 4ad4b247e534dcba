// The simulated backend's admission topic (README "Connectivity"): what it can take, retained,
// as a real backend would publish it, for one policy's fleet in one shard. It offers a share
// of its capacity (`backend.admission`) to the devices that have work waiting, as their
// registration summaries tell it: a device with something in its outbox while connected to
// the broker. Devices read the retained payload when they connect and hear each new one
// while connected; the Agent's own follower (agent/connectivity/admission.ts) takes it. Each
// payload is parsed once, by the product's parser, and handed to the followers parsed: a
// thousand devices parsing the same bytes cost 5 % of a run and tell nothing new.
//
// With `slots` it publishes on each device's own topic instead, and gives each device with
// work waiting a slot of one grid (`slotAt`): the k-th such device, in the order the backend
// lists them, gets the k-th point of a grid one 1/rate apart, so their requests interleave
// and every second carries the rate, not a Poisson count around it.
//
// It never divides by fewer than a hundredth of the fleet (`minDevices`): a share that large
// is more than any device in a quiet hour needs, so the count going 0, 1, 2 as messages come
// and go changes nothing. Above that the backend republishes when the count moved by a tenth
// since the last payload (the share is then a tenth off), `reactionMs` after the first change it heard of: it hears of
// a device when the device's summary arrives, right after it connects, so the share a
// device goes online with already counts it (the settle time is longer). While the backend
// is down it publishes nothing, and its last payload goes stale after `ttlMs`; it publishes
// again as soon as it is back, and refreshes the payload every half `ttlMs`.

import { parseAdmission, type Admission } from "../agent/connectivity/admission.js";
import type { EventQueue, Timed } from "./event-queue.js";
import { WALL_EPOCH } from "./device-clock.js";

/** A device that hears the admission topic. */
export interface AdmissionListener {
  admission(admission: Admission): void;
  /** It has work waiting while connected (what its summary tells the backend). */
  readonly hasWorkWaiting: boolean;
}

export class AdmissionPublisher implements Timed {
  at = 0;
  seq = 0;
  queued = false;
  readonly #queue: EventQueue;
  readonly #rate: number;
  readonly #backendUp: () => boolean;
  readonly #listeners: AdmissionListener[] = [];
  /** Devices with work waiting that are connected. */
  #count = 0;
  #published = -1;
  #retained: Admission | undefined;

  /**
   * @param rate requests/s offered to this shard's devices (its capacity × the share offered)
   */
  constructor(
    queue: EventQueue,
    rate: number,
    backendUp: () => boolean,
    readonly minDevices = 1,
    readonly slots = false,
    readonly ttlMs = 600_000,
    readonly reactionMs = 100,
  ) {
    this.#queue = queue;
    this.#rate = rate;
    this.#backendUp = backendUp;
  }

  /** The retained payload a device reads when it connects, parsed (undefined before the first). */
  get retained(): Admission | undefined {
    return this.#retained;
  }

  listen(device: AdmissionListener): void {
    this.#listeners.push(device);
  }

  /** A device started or stopped having work waiting while connected (±1). */
  waiting(delta: 1 | -1): void {
    this.#count += delta;
    const published = this.#published;
    if (published < 0 || Math.abs(this.#devices() - published) >= published / 10) this.#soon();
  }

  /** The backend went down or came back. */
  backendChanged(): void {
    this.#soon();
  }

  fire(): void {
    if (!this.#backendUp()) return;
    const devices = this.#devices();
    this.#published = devices;
    const timestamp = WALL_EPOCH + this.#queue.now;
    const retained = parseAdmission(JSON.stringify({ rate: this.#rate, devices, timestamp, ttlMs: this.ttlMs }));
    if (!retained.ok || retained.perDevice === undefined)
      throw new Error(`the simulated backend's admission payload does not parse: ${JSON.stringify(retained)}`);
    this.#retained = retained;
    const spacing = 1000 / this.#rate;
    let rank = 0;
    for (const device of this.#listeners) {
      // The device's own topic: {"perDevice": rate / devices, "slotAt": …, "timestamp", "ttlMs"}.
      device.admission(this.slots && device.hasWorkWaiting ? { ...retained, slotAt: timestamp + rank++ * spacing } : retained);
    }
    this.#queue.schedule(this, this.#queue.now + this.ttlMs / 2);
  }

  #devices(): number {
    return Math.max(this.minDevices, this.#count);
  }

  #soon(): void {
    const at = this.#queue.now + this.reactionMs;
    if (!this.queued || this.at > at) this.#queue.schedule(this, at);
  }
}
