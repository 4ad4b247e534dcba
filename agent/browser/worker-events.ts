// The event half of Background Sync in a service worker that lacks it: `SyncEvent` and
// `PeriodicSyncEvent` as globals, `onsync` / `onperiodicsync`, and events whose `waitUntil`
// works. Both interfaces are re-based onto the worker's native ExtendableEvent, as WebIDL's
// inheritance makes them (`Object.getPrototypeOf(SyncEvent) === ExtendableEvent`), so the
// events syncward dispatches are real ExtendableEvents. A script-built event's own `waitUntil`
// throws in Chromium ("script constructed ExtendableEvent") and WebKit ("Event is not
// trusted"), so dispatchExtendable shadows it on each instance it dispatches.

import { PeriodicSyncEvent, SyncEvent } from "../web-api/sync-events.js";
import { defineEventHandlerAttribute } from "./event-handler-attribute.js";

type Constructor = abstract new (...args: never[]) => object;

/** Expose an interface object the way WebIDL does: writable, configurable, not enumerable. */
function expose(global: object, name: string, value: unknown): void {
  if (name in global) return;
  Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
}

export function installWorkerEvents(global: EventTarget & { ExtendableEvent?: Constructor }): void {
  const native = global.ExtendableEvent;
  if (typeof native === "function") {
    // `super(type, init)` looks the parent up at call time, so the native constructor builds
    // the object from now on.
    for (const event of [SyncEvent, PeriodicSyncEvent]) {
      Object.setPrototypeOf(event, native);
      Object.setPrototypeOf(event.prototype, native.prototype);
    }
  }
  expose(global, "SyncEvent", SyncEvent);
  expose(global, "PeriodicSyncEvent", PeriodicSyncEvent);
  defineEventHandlerAttribute(global, "sync");
  defineEventHandlerAttribute(global, "periodicsync");
}
