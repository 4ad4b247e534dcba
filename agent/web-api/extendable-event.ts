// ExtendableEvent for hosts that have none (Node), and a working waitUntil for script-built
// events where the engine's own rejects it (Chromium, WebKit): waitUntil works while the event
// is being dispatched and while any promise it was given is pending, as the Service Workers
// spec says.

import { defineInterface } from "./webidl.js";

interface Lifetime {
  dispatching: boolean;
  pending: number;
  promises: Promise<unknown>[];
}

const lifetimes = new WeakMap<Event, Lifetime>();

export class ExtendableEvent extends Event {
  // A default, not `init?`, so that `length` is 1 as WebIDL's optional argument makes it.
  constructor(type: string, init: EventInit = {}) {
    super(type, init);
    lifetimes.set(this, { dispatching: false, pending: 0, promises: [] });
  }

  /** Extend the event's lifetime until `promise` settles; a rejection fails the event. */
  waitUntil(promise: Promise<unknown>): void {
    if (arguments.length < 1) throw new TypeError("Failed to execute 'waitUntil' on 'ExtendableEvent': 1 argument required, but only 0 present.");
    const lifetime = lifetimes.get(this);
    if (!lifetime || (!lifetime.dispatching && lifetime.pending === 0)) {
      throw new DOMException("The event handler is already finished and no extend lifetime promises are outstanding.", "InvalidStateError");
    }
    const settled = Promise.resolve(promise).finally(() => {
      lifetime.pending--;
    });
    // Handled here too: dispatchExtendable stops looking after a listener error or the first
    // rejection, and a rejection nobody awaits would be an unhandled rejection in the host.
    settled.catch(() => {});
    lifetime.pending++;
    lifetime.promises.push(settled);
  }
}

defineInterface(ExtendableEvent, "ExtendableEvent");

/**
 * The lifetime of an event built on the engine's own ExtendableEvent (a worker's SyncEvent is
 * one, so that its prototype chain is the engine's): its waitUntil is shadowed on the instance
 * by this working one.
 */
function adopt(event: Event): Lifetime {
  const lifetime: Lifetime = { dispatching: false, pending: 0, promises: [] };
  lifetimes.set(event, lifetime);
  Object.defineProperty(event, "waitUntil", { value: ExtendableEvent.prototype.waitUntil, writable: true, enumerable: false, configurable: true });
  return lifetime;
}

/**
 * Dispatch `event` on `target` with a working waitUntil and wait for every promise it was
 * given. Resolves with the first rejection reason, or undefined when all fulfilled. A
 * listener that throws is reported by the target's own error handling and fails the event.
 */
export async function dispatchExtendable(target: EventTarget, event: Event, listenerErrors: unknown[]): Promise<{ failed: boolean; reason?: unknown }> {
  const lifetime = lifetimes.get(event) ?? adopt(event);
  lifetime.dispatching = true;
  try {
    target.dispatchEvent(event);
  } finally {
    lifetime.dispatching = false;
  }
  if (listenerErrors.length > 0) return { failed: true, reason: listenerErrors[0] };
  // Promises added while waiting (waitUntil from inside a pending promise) are awaited too.
  for (let seen = 0; seen < lifetime.promises.length; seen = lifetime.promises.length) {
    const results = await Promise.allSettled(lifetime.promises.slice(seen));
    const rejected = results.find((r) => r.status === "rejected");
    if (rejected) return { failed: true, reason: (rejected as PromiseRejectedResult).reason };
  }
  return { failed: false };
}
