// The page's Dispatcher: it posts a FireRequest to the active worker of the registration's
// scope and waits for the worker script's answer. The policy's event time limit is the
// core's: when it passes, the Agent aborts the signal, this stops waiting, and the attempt
// counts as a timeout (a worker the browser stopped mid-event never answers; that ends the
// same way).

import type { Dispatcher, DispatchResult, SyncDispatch } from "../dispatcher.js";
import { isFireOutcome, PROTOCOL, request, type FireRequest } from "./worker-protocol.js";

export interface WorkerDispatcherOptions {
  /**
   * The service worker registration of `scope` as it is now, or undefined when it is gone
   * (then its sync registrations are gone too, and the event is not delivered).
   */
  registration: (scope: string) => Promise<ServiceWorkerRegistration | undefined>;
  /** `registration` had no active worker for an event: the Agent holds its events until it has one. */
  inactive: (scope: string, registration: ServiceWorkerRegistration) => void;
}

export class WorkerDispatcher implements Dispatcher {
  readonly #registration: (scope: string) => Promise<ServiceWorkerRegistration | undefined>;
  readonly #inactive: (scope: string, registration: ServiceWorkerRegistration) => void;

  constructor(options: WorkerDispatcherOptions) {
    this.#registration = options.registration;
    this.#inactive = options.inactive;
  }

  async dispatch(event: SyncDispatch): Promise<DispatchResult> {
    // Looked up at every dispatch: an unregistered registration keeps its active worker while
    // a page it controls is open, and that worker must get no more events.
    const registration = await this.#registration(event.scope);
    if (!registration) return { outcome: "failure", reason: "failed: the service worker registration is gone" };
    const worker = registration.active;
    if (!worker) {
      this.#inactive(event.scope, registration);
      return { outcome: "undelivered" };
    }
    const message: FireRequest = { syncward: PROTOCOL, cmd: "fire", type: event.type, tag: event.tag, lastChance: event.lastChance };
    const answer = await request(worker, message, Infinity, event.signal);
    if (isFireOutcome(answer)) {
      const { outcome, reason, retryAfterMs } = answer;
      return { outcome, ...(reason === undefined ? {} : { reason }), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    return { outcome: "failure", reason: event.signal.aborted ? "timeout" : "failed: the worker answered nonsense" };
  }
}
