// The page's Dispatcher: it posts a FireRequest to the active worker of the registration's
// scope and waits for the worker script's answer. The policy's event time limit is the
// core's: when it passes, the Agent aborts the signal, this stops waiting, and the attempt
// counts as a timeout (a worker the browser stopped mid-event never answers; that ends the
// same way).

import type { Dispatcher, DispatchResult, SyncDispatch } from "../dispatcher.js";
import { isFireOutcome, PROTOCOL, request, type FireRequest } from "./worker-protocol.js";

export interface WorkerDispatcherOptions {
  container: ServiceWorkerContainer;
  /** The service worker registration of `scope` is gone: its sync registrations go with it. */
  onGone: (scope: string) => void;
}

export class WorkerDispatcher implements Dispatcher {
  readonly #container: ServiceWorkerContainer;
  readonly #onGone: (scope: string) => void;
  readonly #registrations = new Map<string, ServiceWorkerRegistration>();

  constructor(options: WorkerDispatcherOptions) {
    this.#container = options.container;
    this.#onGone = options.onGone;
  }

  /**
   * The registration of `scope`, looked up once: the object stays current (its `active`
   * follows updates), and an unregistered one loses its active worker when it is cleared,
   * which sends the next dispatch back to the container.
   */
  async #registration(scope: string): Promise<ServiceWorkerRegistration | undefined> {
    const known = this.#registrations.get(scope);
    if (known?.active) return known;
    const found = (await this.#container.getRegistrations()).find((r) => r.scope === scope);
    if (found) this.#registrations.set(scope, found);
    else this.#registrations.delete(scope);
    return found;
  }

  async dispatch(event: SyncDispatch): Promise<DispatchResult> {
    const registration = await this.#registration(event.scope);
    if (!registration) {
      this.#onGone(event.scope);
      return { outcome: "failure", reason: "failed: the service worker registration is gone" };
    }
    const worker = registration.active;
    if (!worker) return { outcome: "failure", reason: "failed: no active worker" };
    const message: FireRequest = { syncward: PROTOCOL, cmd: "fire", type: event.type, tag: event.tag, lastChance: event.lastChance };
    const answer = await request(worker, message, Infinity, event.signal);
    if (isFireOutcome(answer)) return answer.reason === undefined ? { outcome: answer.outcome } : { outcome: answer.outcome, reason: answer.reason };
    return { outcome: "failure", reason: event.signal.aborted ? "timeout" : "failed: the worker answered nonsense" };
  }
}
