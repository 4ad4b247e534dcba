// The fate of one HTTP request from a device, decided when it is sent: everything it depends
// on is already known then (the link's next drop and the next crash are scheduled, the
// Gilbert–Elliott chain is generated ahead, backend outages are fixed), so a request costs
// one event, at the moment the device learns its outcome.
//
// The uplink half of the latency (plus any stall) takes it to the backend or to a captive
// portal; the downlink half (plus stalls) brings the answer back. A link drop or crash before
// arrival loses it; one after arrival loses only the answer, so the backend has the message
// and the device will send it again: a duplicate. The same holds when the caller gives up
// first (`giveUpAt`: the event time limit, after which the worker is stopped). A request still
// on its way to the backend when the run ends has not arrived: it counts nowhere, and its
// message is pending.

import type { Backend } from "./backend.js";
import type { Rng } from "./rng.js";
import type { DeviceWorld } from "./world.js";

export type RequestResult =
  /** 2xx from the backend. */
  | "ok"
  /** 429 with Retry-After. */
  | "overloaded"
  /** 500. */
  | "error"
  /** A captive portal's page (an HTTP response, not from the backend). */
  | "portal"
  /** fetch() rejects: no link, connection refused or reset. */
  | "network";

export interface RequestFate {
  result: RequestResult;
  /** When the device learns the result (or when the request was cut). */
  respondAt: number;
  /** When the backend received it (NaN: never). */
  arrivedAt: number;
}

/** fetch() rejects at `at` (the request got to the backend at `arrivedAt`, or never: NaN). */
const fail = (at: number, arrivedAt = NaN): RequestFate => ({ result: "network", respondAt: at, arrivedAt });

export function sendRequest(device: DeviceWorld, backend: Backend, rng: Rng, now: number, giveUpAt: number): RequestFate {
  if (!device.on || !device.linkUp) return fail(now);
  const s = device.world.scenario;
  const latency = rng.lognormal(s.latency.medianMs, s.latency.p99Ms);
  const half = latency / 2;
  const linkEnd = device.linkEnd(now);
  const stalls = device.stalls;
  const arriveAt = stalls ? stalls.transferEnd(now, now, half) : now + half;
  const cut = Math.min(linkEnd, giveUpAt);
  if (arriveAt >= cut) return fail(cut);
  if (arriveAt > s.durationMs) return { result: "network", respondAt: arriveAt, arrivedAt: NaN };
  if (device.captive) {
    const back = stalls ? stalls.transferEnd(now, arriveAt, half) : arriveAt + half;
    return back >= cut ? fail(cut) : { result: "portal", respondAt: back, arrivedAt: NaN };
  }
  if (backend.isDown(arriveAt)) return fail(Math.min(arriveAt + half, cut));
  const answer = backend.receive(arriveAt, rng);
  const arrivedAt = answer === 200 ? arriveAt : NaN;
  const back = stalls ? stalls.transferEnd(now, arriveAt, half) : arriveAt + half;
  const lost = Math.min(cut, backend.downAfter(arriveAt));
  if (back >= lost) return fail(lost, arrivedAt);
  return { result: answer === 200 ? "ok" : answer === 429 ? "overloaded" : "error", respondAt: back, arrivedAt };
}
