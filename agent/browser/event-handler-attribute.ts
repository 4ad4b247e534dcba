// An `on<type>` event handler attribute (HTML "event handler IDL attributes") for a global
// that lacks it: WebKit has no `onsync` / `onperiodicsync`, so `self.onsync = fn` would be
// an inert expando there. Setting a handler adds one listener at that moment's position in
// the listener list; setting another keeps the position; null removes it. As WebIDL makes
// it, the accessor is the global's own (ServiceWorkerGlobalScope is a [Global] interface),
// its getter and setter are named "get onsync" / "set onsync" and check their `this`, and any
// object is kept as the handler (EventHandler is [LegacyTreatNonObjectAsNull]): a non-callable
// one throws a TypeError when the event comes, which the engine reports.

import { attributeGetter } from "../web-api/webidl.js";

function hasAccessor(object: object, name: string): boolean {
  for (let o: object | null = object; o; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor) return descriptor.set !== undefined;
  }
  return false;
}

/** Define `on${type}` for `target` unless it has one; a value assigned before is kept. */
export function defineEventHandlerAttribute(target: EventTarget, type: string): void {
  const name = `on${type}`;
  if (hasAccessor(target, name)) return;
  const own = target as unknown as Record<string, unknown>;
  const earlier = own[name];
  let handler: object | null = null;
  let listener: ((event: Event) => void) | undefined;
  const brand = (self: unknown) => {
    if (self !== target) throw new TypeError("Illegal invocation");
  };
  const set = function (this: unknown, value: unknown): void {
    brand(this);
    handler = (typeof value === "object" || typeof value === "function") && value !== null ? value : null;
    if (handler && !listener) {
      listener = (event) => {
        if (typeof handler !== "function") throw new TypeError(`The ${name} handler is not a function.`);
        (handler as (event: Event) => unknown).call(target, event);
      };
      target.addEventListener(type, listener);
    } else if (!handler && listener) {
      target.removeEventListener(type, listener);
      listener = undefined;
    }
  };
  Object.defineProperty(set, "name", { value: `set ${name}` });
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: true,
    get: attributeGetter(name, function (this: unknown) {
      brand(this);
      return handler;
    }),
    set,
  });
  if (earlier !== undefined) own[name] = earlier;
}
