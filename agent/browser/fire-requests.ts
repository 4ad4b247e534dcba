// The worker end of event delivery. The page's Agent posts a FireRequest to the active
// worker; this runs every `sync` (or `periodicsync`) listener with a working waitUntil,
// keeps the worker alive through the real, trusted message event's own waitUntil (so the
// browser does not stop the worker mid-sync), and answers with the outcome.

import { retryAfterOf } from "../retry-after.js";
import { dispatchExtendable } from "../web-api/extendable-event.js";
import { PeriodicSyncEvent, SyncEvent } from "../web-api/sync-events.js";
import { isFireRequest, isProtocolMessage, type FireOutcome, type FireRequest } from "./worker-protocol.js";

interface MessageEventLike extends Event {
  data: unknown;
  ports: readonly MessagePort[];
  waitUntil?: (promise: Promise<unknown>) => void;
}

function describe(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
}

/** Run the listeners for one request; never rejects. (devtools-hook.ts runs them so too.) */
export async function fire(global: EventTarget, request: FireRequest, report: (line: string) => void): Promise<FireOutcome> {
  const started = performance.now();
  const event =
    request.type === "sync"
      ? new SyncEvent("sync", { tag: request.tag, lastChance: request.lastChance })
      : new PeriodicSyncEvent("periodicsync", { tag: request.tag });
  // A listener that throws fails the event, as in Chromium. Browsers report such an
  // exception synchronously as an `error` event on the global, during dispatchEvent.
  const thrown: unknown[] = [];
  const onError = (error: Event) => thrown.push((error as ErrorEvent).error ?? (error as ErrorEvent).message);
  global.addEventListener("error", onError);
  let settled: Promise<{ failed: boolean; reason?: unknown }>;
  try {
    settled = dispatchExtendable(global, event, thrown);
  } finally {
    global.removeEventListener("error", onError);
  }
  const result = await settled;
  const durationMs = performance.now() - started;
  if (!result.failed) return { outcome: "success", durationMs };
  const listenerThrew = thrown.length > 0;
  report(`${request.type} event "${request.tag}" failed: ${describe(result.reason)}`);
  if (listenerThrew) return { outcome: "failure", reason: "failed", durationMs };
  // A Response cannot cross the port: its Retry-After is read here, in the worker.
  const retryAfterMs = retryAfterOf(result.reason, Date.now());
  return { outcome: "failure", reason: "waitUntil rejected", durationMs, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** Answer FireRequests posted to this worker. */
export function serveFireRequests(global: EventTarget, report: (line: string) => void): void {
  global.addEventListener("message", (raw) => {
    const event = raw as MessageEventLike;
    if (!isProtocolMessage(event.data, "fire")) return;
    // syncward's own traffic is not the app's business.
    event.stopImmediatePropagation();
    if (!isFireRequest(event.data)) return report(`ignored a malformed fire request: ${JSON.stringify(event.data)}`);
    const port = event.ports[0];
    if (!port) return report("a fire request came without its answer port");
    const work = fire(global, event.data, report).then((outcome) => port.postMessage(outcome));
    event.waitUntil?.(work);
  });
}
