// The dispatcher port: delivers a sync or periodicsync event to the service worker of a scope
// and reports how it ended. Adapters: Node-hosted service workers, postMessage to the page's
// worker shim, the DevTools protocol, simulated handlers.

import type { EventSignal } from "./event-signal.js";

export interface SyncDispatch {
  type: "sync" | "periodicsync";
  /** The service worker registration's scope URL. */
  scope: string;
  tag: string;
  /** Always false for periodicsync. */
  lastChance: boolean;
  /**
   * Aborted when the scheduler gave up on this event (time limit) or the registration went
   * away; the adapter should stop waiting. Its late outcome is ignored either way.
   */
  signal: EventSignal;
}

export interface DispatchResult {
  /**
   * "undelivered": no active worker took the event. Nothing is counted, and the scope's
   * registrations wait until the host says a worker is active again (setActive(true)).
   */
  outcome: "success" | "failure" | "undelivered";
  /** Chromium's failure reason words: "waitUntil rejected", "failed", … */
  reason?: string;
  /** A server's Retry-After in ms, if the handler learnt one: the retry waits at least this. */
  retryAfterMs?: number;
}

export interface Dispatcher {
  dispatch(event: SyncDispatch): Promise<DispatchResult>;
  /** The device went online or offline (a worker's navigator.onLine follows it). */
  onlineChanged?(online: boolean): void;
}
