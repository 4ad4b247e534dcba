// The two WebIDL conversions the Background Sync IDL needs, done as a browser does them, so
// a page sees the same TypeErrors on syncward as on Chrome.

/** DOMString: ToString, which throws for a Symbol. */
export function toDOMString(value: unknown): string {
  if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
  return String(value);
}

/** `[EnforceRange] unsigned long long`: an integer in [0, 2^53 - 1], else TypeError. */
export function toEnforcedUnsignedLongLong(value: unknown, what: string): number {
  const number = Number(value);
  if (!Number.isFinite(number)) throw new TypeError(`${what} is not a finite number.`);
  const integer = Math.trunc(number);
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
