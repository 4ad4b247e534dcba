// The WebIDL conversions the Background Sync IDL needs, done as a browser does them, so a page
// sees the same TypeErrors on syncward as on Chrome, and the shape WebIDL's ECMAScript binding
// gives an interface (names, enumerable members, Symbol.toStringTag), which a JS class lacks.

/**
 * Give a class the shape of WebIDL interface `name`: its own name (a minifier renames
 * classes), operations and attributes enumerable on the prototype, and `Symbol.toStringTag`.
 */
export function defineInterface(constructor: abstract new (...args: never[]) => object, name: string): void {
  Object.defineProperty(constructor, "name", { value: name });
  const prototype = constructor.prototype as object;
  for (const key of Object.getOwnPropertyNames(prototype)) {
    if (key !== "constructor") Object.defineProperty(prototype, key, { enumerable: true });
  }
  Object.defineProperty(prototype, Symbol.toStringTag, { value: name, writable: false, enumerable: false, configurable: true });
}

/** A getter named as WebIDL names an attribute's getter: "get sync". */
export function attributeGetter<T>(name: string, get: (this: unknown) => T): (this: unknown) => T {
  return Object.defineProperty(get, "name", { value: `get ${name}` });
}

/** DOMString: ToString, which throws for a Symbol. */
export function toDOMString(value: unknown): string {
  if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
  return String(value);
}

/** `[EnforceRange] unsigned long long`: an integer in [0, 2^53 - 1], else TypeError. */
export function toEnforcedUnsignedLongLong(value: unknown, what: string): number {
  // ToNumber: a BigInt or a Symbol is a TypeError (Number() would take a BigInt).
  if (typeof value === "bigint" || typeof value === "symbol") throw new TypeError(`${what} cannot be converted to a number.`);
  const number = Number(value);
  if (!Number.isFinite(number)) throw new TypeError(`${what} is not a finite number.`);
  // + 0 makes -0 (and what truncates to it) +0, as WebIDL's integer conversion does.
  const integer = Math.trunc(number) + 0;
  if (integer < 0 || integer > Number.MAX_SAFE_INTEGER) {
    throw new TypeError(`${what} is outside the range [0, ${Number.MAX_SAFE_INTEGER}].`);
  }
  return integer;
}

export function missingArgument(interfaceName: string, method: string, required: number, present: number): TypeError {
  return new TypeError(`Failed to execute '${method}' on '${interfaceName}': ${required} argument required, but only ${present} present.`);
}

/** Interfaces without a constructor in their IDL throw on `new`. */
export function illegalConstructor(): TypeError {
  return new TypeError("Illegal constructor");
}
