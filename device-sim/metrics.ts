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

/** The messages waiting when a fleet-wide outage ended, and when they reached the backend. */
export interface BacklogJson {
  messages: number;
  /** Time from the recovery to each one's arrival, for those that arrived by the end. */
  arrivals: HistogramJson;
}

interface Backlog {
  at: number;
  messages: number;
  arrivals: Histogram;
}

/** Recoveries whose backlog is followed (a bit each in Message.backlogs). */
export const MAX_FOLLOWED_RECOVERIES = 31;

export interface PolicyMetricsJson {
  registered: number;
  delivered: number;
  duplicated: number;
  pending: number;
  /** Pending at the end though queued more than an hour before it (absent in older shard files). */
  pendingOld?: number;
  dropped: Record<DropReason, number>;
  attempts: number;
  wakeups: number;
  inFlightAtCrash: number;
  latency: HistogramJson;
  reconnect: HistogramJson;
  reconnectMissed: number;
  backlogs: BacklogJson[];
  arrivals: number[];
}

export class PolicyMetrics {
  registered = 0;
  delivered = 0;
  duplicated = 0;
  pending = 0;
  pendingOld = 0;
  /** Messages queued before this time and still pending at the end count in `pendingOld`. */
  oldBefore = -Infinity;
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
  /** Per fleet-wide recovery, in order. */
  readonly backlogs: Backlog[] = [];

  created(_message: Message): void {
    this.registered++;
  }

  /** Fleet-wide outage `k` ended at `at`: these messages of one device were waiting for the backend. */
  backlogAt(k: number, at: number, waiting: Iterable<Message>): void {
    const backlog = (this.backlogs[k] ??= { at, messages: 0, arrivals: new Histogram() });
    if (k >= MAX_FOLLOWED_RECOVERIES) return;
    for (const m of waiting) {
      if (!Number.isNaN(m.arrivedAt)) continue;
      m.backlogs |= 1 << k;
      backlog.messages++;
    }
  }

  /** The backend accepted the message at `at` (possibly again). */
  arrived(message: Message, at: number): void {
    if (Number.isNaN(message.arrivedAt)) {
      message.arrivedAt = at;
      for (let bits = message.backlogs, k = 0; bits !== 0; bits >>>= 1, k++) {
        if ((bits & 1) === 0) continue;
        const backlog = this.backlogs[k]!;
        backlog.arrivals.add(at - backlog.at);
      }
    } else {
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
      if (message.createdAt < this.oldBefore) this.pendingOld++;
    }
  }

  toJSON(arrivals: Uint32Array): PolicyMetricsJson {
    return {
      registered: this.registered,
      delivered: this.delivered,
      duplicated: this.duplicated,
      pending: this.pending,
      pendingOld: this.pendingOld,
      dropped: { ...this.dropped },
      attempts: this.attempts,
      wakeups: this.wakeups,
      inFlightAtCrash: this.inFlightAtCrash,
      latency: this.latency.toJSON(),
      reconnect: this.reconnect.toJSON(),
      reconnectMissed: this.reconnectMissed,
      backlogs: this.backlogs.map((b) => ({ messages: b.messages, arrivals: b.arrivals.toJSON() })),
      arrivals: Array.from(arrivals),
    };
  }
}
