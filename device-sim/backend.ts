// The simulated backend of one policy's fleet: it serves at most its capacity in each second
// and answers the rest 429 with a Retry-After, fails a share of the rest with 500, and refuses
// connections while a fleet-wide backend outage lasts. It counts every request that reached
// it, per second, for the load chart and the recovery-herd figures.
//
// A capacity of 1.5/s serves 1, 2, 1, 2, … requests in successive seconds: the fleet may have
// been served Y(s) = floor(C·s) requests by the end of second s. Sharded, Y(s) is dealt out over
// the fleet's n devices as Hermite's identity does (sum over p of floor((Y + p) / n) = Y):
// the device at place p gets floor((Y + p) / n), and a shard's part is the sum over its
// devices. Every part grows with Y, so no shard's allowance in a second is ever negative, and
// the parts add up to exactly C per second however the fleet is sharded (rounding each shard's
// share up made a fleet of 1.5/s serve 4/s on 4 shards).
//
// Each new request of Y goes to the next place down, so the places of one shard must be
// spread over [0, n), not side by side: with device d at place d, a shard of half the fleet
// got the whole capacity for n / 2C seconds and nothing for the next n / 2C (its devices
// retried into a backend that was idle for them half the time). Device d sits at place
// (d · k) mod n, k the integer nearest n / φ that is coprime to n: a low-discrepancy spread,
// so any shard gets its share in every window of a few seconds.

import type { Rng } from "./rng.js";

export type BackendAnswer = 200 | 429 | 500;

/** Which part of the fleet a shard's backend serves: devices [first, first + count) of devices. */
export interface FleetShare {
  first: number;
  count: number;
  devices: number;
}

export class Backend {
  /** Requests that reached the backend in each second of the run. */
  readonly arrivals: Uint32Array;
  /** This shard's share of the capacity, requests/s (its average; seconds serve whole requests). */
  readonly capacity: number;
  readonly #served: Uint32Array;
  readonly #outages: readonly (readonly [number, number])[];
  readonly #fleetCapacity: number;
  readonly #share: FleetShare;
  /** The places of this shard's devices, ascending. */
  readonly #places: Int32Array;

  /**
   * @param fleetCapacity requests per second the whole backend serves
   * @param share the devices whose requests reach this instance
   * @param outages [start, end) intervals in ms during which connections are refused
   */
  constructor(
    fleetCapacity: number,
    share: FleetShare,
    durationMs: number,
    outages: readonly (readonly [number, number])[],
    readonly retryAfterMs: number,
    readonly errorRate: number,
  ) {
    const seconds = Math.ceil(durationMs / 1000) + 1;
    this.arrivals = new Uint32Array(seconds);
    this.#served = new Uint32Array(seconds);
    this.#outages = outages;
    this.#fleetCapacity = fleetCapacity;
    this.#share = share;
    this.#places = placesOf(share);
    this.capacity = (fleetCapacity * share.count) / share.devices;
  }

  /** Requests this shard may serve in second `second`. */
  allowance(second: number): number {
    return this.#servedBy(second + 1) - this.#servedBy(second);
  }

  /** This shard's part of everything the backend may serve in its first `seconds` seconds. */
  #servedBy(seconds: number): number {
    const { count, devices } = this.#share;
    const total = Math.floor(this.#fleetCapacity * seconds);
    const each = Math.floor(total / devices);
    // Places p >= devices - (total mod devices) get one more.
    const extraFrom = devices - (total - each * devices);
    return count * each + (count - lowerBound(this.#places, extraFrom));
  }

  /** Whether connections are refused at `t`. */
  isDown(t: number): boolean {
    for (const [start, end] of this.#outages) if (t >= start && t < end) return true;
    return false;
  }

  /** The first outage start after `t` (Infinity when none). */
  downAfter(t: number): number {
    let next = Infinity;
    for (const [start] of this.#outages) if (start > t && start < next) next = start;
    return next;
  }

  /** A request reaching the backend at `t` (which must not be in an outage). */
  receive(t: number, rng: Rng): BackendAnswer {
    const second = Math.min(this.arrivals.length - 1, Math.floor(t / 1000));
    this.arrivals[second]!++;
    if (this.#served[second]! >= this.allowance(second)) return 429;
    this.#served[second]!++;
    return rng.chance(this.errorRate) ? 500 : 200;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The places of the shard's devices in the dealing order (see the header), ascending. */
function placesOf({ first, count, devices }: FleetShare): Int32Array {
  let k = Math.max(1, Math.round(devices / 1.618033988749895));
  while (gcd(k, devices) !== 1) k++;
  const places = new Int32Array(count);
  for (let i = 0; i < count; i++) places[i] = ((first + i) * k) % devices;
  return places.sort();
}

/** The number of entries of the ascending `sorted` below `value`. */
function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
