// The IDL conformance test's checks, generated from the specs' own IDL (@webref/idl, parsed by
// webidl2): for every interface, member and event handler of Background Sync and Periodic
// Background Sync, what WebIDL's ECMAScript binding requires in each global where it is
// exposed, and that it is absent where it is not. The checks run in a browser (idl-checks.ts).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// The part of webidl2 24.5's parse tree (it ships no types) that the plan reads.
interface ExtendedAttribute {
  name: string;
  rhs: { type: string; value: string | { value: string }[] } | null;
}
interface IdlType {
  idlType: string | IdlType[];
  generic: string;
}
interface Argument {
  name: string;
  optional: boolean;
  variadic: boolean;
  idlType: IdlType;
}
interface Member {
  type: "operation" | "attribute" | "constructor" | "const" | "field" | string;
  name: string;
  readonly?: boolean;
  special?: string;
  required?: boolean;
  default?: unknown;
  idlType: IdlType | null;
  arguments?: Argument[];
  extAttrs: ExtendedAttribute[];
}
interface Definition {
  type: "interface" | "dictionary" | "interface mixin" | "includes" | string;
  name: string;
  partial?: boolean;
  inheritance: string | null;
  members: Member[];
  extAttrs: ExtendedAttribute[];
}

/** The globals the test looks into. */
export type Context = "window" | "service worker" | "dedicated worker" | "shared worker";

const CONTEXTS: Context[] = ["window", "service worker", "dedicated worker", "shared worker"];

/** The WebIDL global names each context answers to in [Exposed]. */
const GLOBAL_NAMES: Record<Context, string[]> = {
  window: ["Window"],
  "service worker": ["Worker", "ServiceWorker"],
  "dedicated worker": ["Worker", "DedicatedWorker"],
  "shared worker": ["Worker", "SharedWorker"],
};

export type Check =
  /** The interface object: on the global or absent, its name, length, prototype chain, toStringTag. */
  | { kind: "interface"; context: Context; name: string; exposed: boolean; parent: string | null; constructorLength: number | null }
  /** A regular operation on the interface prototype object. */
  | { kind: "operation"; context: Context; interface: string; name: string; length: number; promise: boolean }
  /**
   * A regular attribute: an accessor on the interface prototype object, or on the global
   * itself for a [Global] interface (ServiceWorkerGlobalScope).
   */
  | { kind: "attribute"; context: Context; interface: string; name: string; onGlobal: boolean; readonly: boolean; eventHandler: boolean; sameObject: boolean }
  /** An attribute whose value is a platform object of the test: what it returns on a real instance. */
  | { kind: "instance"; context: Context; interface: string; attribute: string; type: string }
  /** A constructor: arity, a required dictionary member, and the object it builds. */
  | { kind: "constructor"; context: Context; name: string; requiredMembers: string[]; defaults: Record<string, unknown> };

const require = createRequire(import.meta.url);
const { parse } = require("webidl2") as { parse(text: string): Definition[] };
const idl = (name: string) => parse(readFileSync(require.resolve(`@webref/idl/${name}.idl`), "utf8"));

/** The specs under test, and the one whose interfaces they extend (for exposure and parents). */
const TESTED = ["background-sync", "periodic-background-sync"];
const BASE = "service-workers";

function exposure(definition: Definition): string[] {
  const exposed = definition.extAttrs.find((a) => a.name === "Exposed")?.rhs?.value;
  if (exposed === undefined) return [];
  return typeof exposed === "string" ? [exposed] : exposed.map((v) => v.value);
}

function exposedIn(globals: string[], context: Context): boolean {
  return globals.some((g) => GLOBAL_NAMES[context].includes(g));
}

const required = (member: Member) => (member.arguments ?? []).filter((a) => !a.optional && !a.variadic).length;
const typeName = (member: Member) => (typeof member.idlType?.idlType === "string" ? member.idlType.idlType : "");

export function idlPlan(): Check[] {
  const tested = TESTED.flatMap(idl);
  const base = idl(BASE);
  const definitions = [...tested, ...base];
  // A partial interface is exposed where its interface is, unless it says otherwise.
  const globalsOf = (name: string, own?: Definition) => {
    const mine = own ? exposure(own) : [];
    if (mine.length > 0) return mine;
    return exposure(definitions.find((d) => d.type === "interface" && d.name === name && !d.partial)!);
  };
  const isGlobal = (name: string) => definitions.some((d) => d.name === name && !d.partial && d.extAttrs.some((a) => a.name === "Global"));
  const dictionaries = new Map(definitions.filter((d) => d.type === "dictionary").map((d) => [d.name, d]));
  const testedInterfaces = new Set(tested.filter((d) => d.type === "interface" && !d.partial).map((d) => d.name));
  const checks: Check[] = [];
  for (const context of CONTEXTS) {
    for (const definition of tested.filter((d) => d.type === "interface")) {
      const globals = globalsOf(definition.name, definition);
      const exposed = exposedIn(globals, context);
      if (!definition.partial) {
        const constructor = definition.members.find((m) => m.type === "constructor");
        checks.push({
          kind: "interface",
          context,
          name: definition.name,
          exposed,
          parent: definition.inheritance,
          constructorLength: constructor ? required(constructor) : null,
        });
        if (exposed && constructor) {
          const init = constructor.arguments?.map((a) => dictionaries.get(typeName(a as unknown as Member))).find(Boolean);
          checks.push({
            kind: "constructor",
            context,
            name: definition.name,
            requiredMembers: init?.members.filter((m) => m.required).map((m) => m.name) ?? [],
            defaults: Object.fromEntries(
              init?.members
                .filter((m) => m.default && typeof m.default === "object" && "value" in m.default)
                .map((m) => [m.name, (m.default as { value: unknown }).value]) ?? [],
            ),
          });
        }
      }
      if (!exposed) continue;
      for (const member of definition.members) {
        if (member.type === "operation" && member.special === "") {
          checks.push({
            kind: "operation",
            context,
            interface: definition.name,
            name: member.name,
            length: required(member),
            promise: member.idlType?.generic === "Promise",
          });
        } else if (member.type === "attribute") {
          const type = typeName(member);
          checks.push({
            kind: "attribute",
            context,
            interface: definition.name,
            name: member.name,
            onGlobal: isGlobal(definition.name),
            readonly: member.readonly === true,
            eventHandler: type === "EventHandler",
            sameObject: member.extAttrs.some((a) => a.name === "SameObject"),
          });
          if (testedInterfaces.has(type)) checks.push({ kind: "instance", context, interface: definition.name, attribute: member.name, type });
        }
      }
    }
  }
  return checks;
}
