// An `on<type>` event handler attribute (HTML "event handler IDL attributes") for a global
// that lacks it: WebKit has no `onsync` / `onperiodicsync`, so `self.onsync = fn` would be
// an inert expando there. Setting a function adds one listener at that moment's position in
// the listener list; setting another function keeps the position; null removes it.

type Handler = ((this: unknown, event: Event) => unknown) | null;

function hasAccessor(object: object, name: string): boolean {
  for (let o: object | null = object; o; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor) return descriptor.set !== undefined;
  }
  return false;
}

/** Define `on${type}` on `target` unless it has one; a value assigned before is kept. */
export function defineEventHandlerAttribute(target: EventTarget, type: string): void {
  const name = `on${type}`;
  if (hasAccessor(target, name)) return;
  const earlier = (target as unknown as Record<string, unknown>)[name];
  let handler: Handler = null;
  let listener: ((event: Event) => void) | undefined;
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: true,
    get: () => handler,
    set(value: unknown) {
      // WebIDL's EventHandler is a nullable callback function: anything else is null.
      handler = typeof value === "function" ? (value as Handler) : null;
      if (handler && !listener) {
        listener = (event) => handler?.call(target, event);
        target.addEventListener(type, listener);
      } else if (!handler && listener) {
        target.removeEventListener(type, listener);
        listener = undefined;
      }
    },
  });
  if (typeof earlier === "function") (target as unknown as Record<string, unknown>)[name] = earlier;
}
