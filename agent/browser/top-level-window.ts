// register()'s window check, as Chromium makes it: some window client of the registration's
// origin must be a main frame (the spec: a top-level or auxiliary browsing context), whoever
// calls. Only the service worker can list the clients (`clients.matchAll`, which sees just
// the clients of its own storage partition, as Chromium's check does), so a caller that is
// not itself a top-level window (a nested frame, a dedicated or shared worker) asks it; the
// frame of another origin is the case where the answer is no.

import { isProtocolMessage, isWindowsAnswer, PROTOCOL, request, type WindowsAnswer, type WindowsRequest } from "./worker-protocol.js";

/** How long the service worker may take to answer before the call fails. */
const ANSWER_TIMEOUT_MS = 5000;
const NO_ANSWER = "The service worker did not say whether a top-level window of this origin is open: it must import syncward's sw.js.";

interface WindowClientLike {
  frameType?: string;
}

export interface WindowClients {
  matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<readonly WindowClientLike[]>;
}

/** In the service worker: whether a top-level or auxiliary window client of the origin exists. */
export async function hasTopLevelWindow(clients: WindowClients): Promise<boolean> {
  const windows = await clients.matchAll({ type: "window", includeUncontrolled: true });
  return windows.some((w) => w.frameType === "top-level" || w.frameType === "auxiliary");
}

interface MessageEventLike extends Event {
  data: unknown;
  ports: readonly MessagePort[];
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** In the service worker: answer the clients' WindowsRequests. */
export function answerWindowQueries(global: EventTarget & { clients: WindowClients }, report: (line: string) => void): void {
  global.addEventListener("message", (raw) => {
    const event = raw as MessageEventLike;
    if (!isProtocolMessage(event.data, "windows")) return;
    event.stopImmediatePropagation();
    const port = event.ports[0];
    if (!port) return report("a windows request came without its answer port");
    const answered = hasTopLevelWindow(global.clients).then((topLevel) => port.postMessage({ topLevel } satisfies WindowsAnswer));
    event.waitUntil?.(answered);
  });
}

/** In a window or a dedicated or shared worker: whether register() may proceed past the window check. */
export async function topLevelWindowOpen(registration: ServiceWorkerRegistration): Promise<boolean> {
  // A window with no parent is itself a top-level or auxiliary client of the origin.
  const self = globalThis as { parent?: unknown };
  if (self.parent !== undefined && self.parent === globalThis) return true;
  const worker = registration.active;
  if (!worker) return false;
  const answer = await request(worker, { syncward: PROTOCOL, cmd: "windows" } satisfies WindowsRequest, ANSWER_TIMEOUT_MS);
  if (!isWindowsAnswer(answer)) throw new DOMException(NO_ANSWER, "UnknownError");
  return answer.topLevel;
}
