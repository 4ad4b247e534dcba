// The ledger of one policy in one shard: every message's fate (delivered, dropped with a
// reason, or still pending at the end: nothing else), duplicates, attempts, wake-ups and the
// latencies, in a plain form that shards send to the merge.

import { Histogram, type HistogramJson } from "./histogram.js";
import type { Message } from "./outbox.js";

export const DROP_REASONS = ["attemptsExhausted", "expired", "httpErrorAsSuccess", "lostInCrash"] as const;
/**
 * Why a message was lost: the scheduler gave up (attempts exhausted, retention expired), the
 * app counted an HTTP error or a captive portal's page as sent (Workbox's fetchDidFail fires
 * only when fetch rejects), or it was only in memory when the device crashed.
 */
export type DropReason = (typeof DROP_REASONS)[number];

export interface PolicyMetricsJson {
  registered: number;
  delivered: number;
  duplicated: number;
  pending: number;
  dropped: Record<DropReason, number>;
  attempts: number;
  wakeups: number;
  inFlightAtCrash: number;
  latency: HistogramJson;
  reconnect: HistogramJson;
  reconnectMissed: number;
  arrivals: number[];
}

export class PolicyMetrics {
  registered = 0;
  delivered = 0;
  duplicated = 0;
  pending = 0;
  readonly dropped: Record<DropReason, number> = { attemptsExhausted: 0, expired: 0, httpErrorAsSuccess: 0, lostInCrash: 0 };
  attempts = 0;
  wakeups = 0;
  /** Attempts (sync events, fetches) that a crash cut short. */
  inFlightAtCrash = 0;
  readonly latency = new Histogram();
  /** From a device's backend becoming reachable again to its first attempt for older work. */
  readonly reconnect = new Histogram();
  /** Reconnects with work waiting that ended without any attempt. */
  reconnectMissed = 0;

  created(_message: Message): void {
    this.registered++;
  }

  /** The backend accepted the message at `at` (possibly again). */
  arrived(message: Message, at: number): void {
    if (Number.isNaN(message.arrivedAt)) message.arrivedAt = at;
    else {
      this.duplicated++;
      if (at < message.arrivedAt) message.arrivedAt = at;
    }
  }

  /** The app is done with the message: delivered if the backend has it, else lost for `reason`. */
  settled(message: Message, reason: DropReason | "acknowledged"): void {
    if (!Number.isNaN(message.arrivedAt)) {
      this.delivered++;
      this.latency.add(message.arrivedAt - message.createdAt);
    } else if (reason === "acknowledged") {
      throw new Error(`message ${message.seq} acknowledged but never reached the backend`);
    } else {
      this.dropped[reason]++;
    }
  }

  /** Still waiting when the run ended: delivered if the backend already has it. */
  unsettled(message: Message): void {
    if (!Number.isNaN(message.arrivedAt)) {
      this.delivered++;
      this.latency.add(message.arrivedAt - message.createdAt);
    } else {
      this.pending++;
    }
  }

  toJSON(arrivals: Uint32Array): PolicyMetricsJson {
    return {
      registered: this.registered, delivered: this.delivered, duplicated: this.duplicated, pending: this.pending,
      dropped: { ...this.dropped }, attempts: this.attempts, wakeups: this.wakeups, inFlightAtCrash: this.inFlightAtCrash,
      latency: this.latency.toJSON(), reconnect: this.reconnect.toJSON(), reconnectMissed: this.reconnectMissed,
      arrivals: Array.from(arrivals),
    };
  }
}
