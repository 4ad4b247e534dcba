// Fuzzed variants of a valid JSON document, for the tests of what parses config and scenario
// files: at a random place (the root, or any value inside), a value is replaced by random
// JSON or a hostile one, a key removed, or an unknown key added. fast-check shrinks a failing
// variant to a small one.
import fc from "fast-check";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in `doc`, the root included. */
function paths(doc: Json, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(doc)) return here.concat(...doc.map((v, i) => paths(v, [...at, i])));
  if (doc !== null && typeof doc === "object") return here.concat(...Object.entries(doc).map(([k, v]) => paths(v, [...at, k])));
  return here;
}

/** Values that break naive parsers: wrong types, edges of numbers, odd strings, deep nesting. */
const hostile = fc.constantFrom<Json>(
  null,
  true,
  false,
  0,
  -0,
  -1,
  1e308,
  -1e308,
  2 ** 53,
  0.5,
  "",
  " ",
  "0",
  "-5s",
  "1e9d",
  "NaN",
  "Infinity",
  "../../../etc/passwd",
  "\u0000",
  "x".repeat(10_000),
  [],
  {},
  [[[[[[]]]]]],
  { __proto__: { polluted: true } } as Json,
  JSON.parse('{"__proto__": {"polluted": true}}') as Json,
  { constructor: { prototype: { polluted: true } } },
);

const value = fc.oneof({ weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> }, { weight: 2, arbitrary: hostile });

/** An arbitrary of mutated copies of `doc`. */
export function mutatedJson(doc: Json): fc.Arbitrary<Json> {
  const all = paths(doc);
  return fc
    .tuple(fc.nat({ max: all.length - 1 }), fc.constantFrom("replace", "remove", "add"), value, fc.string({ maxLength: 12 }))
    .map(([index, op, replacement, key]) => {
      const copy = structuredClone(doc);
      const path = all[index]!;
      if (path.length === 0) return op === "replace" ? replacement : copy;
      const parent = path.slice(0, -1).reduce<Json>((node, step) => (node as Record<string | number, Json>)[step]!, copy) as Record<string | number, Json>;
      const last = path.at(-1)!;
      if (op === "replace") parent[last] = replacement;
      else if (op === "remove") delete parent[last];
      else if (!Array.isArray(parent)) parent[key] = replacement;
      return copy;
    });
}

/** What a refused file must give: an error of the parser's own class, one short line. */
export function assertOneLineError(error: unknown, errorClass: abstract new (...args: never[]) => Error): void {
  if (!(error instanceof errorClass)) throw new Error(`not a ${errorClass.name}: ${String(error)}`);
  if (error.message.includes("\n") || error.message.length > 1000) throw new Error(`not one short line: ${error.message.slice(0, 500)}`);
}
