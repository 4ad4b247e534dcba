// The IDL conformance checks as they run inside a browser global (a window or a service
// worker): one self-contained function, sent as source, that turns each Check of idl-plan.ts
// into named results of what WebIDL's ECMAScript binding requires. It may use nothing from
// outside its own body.

import type { Check } from "./idl-plan.js";

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found instead, when not ok. */
  detail?: string;
  /** Why the check could not run here (ok is then true). */
  skip?: string;
}

export async function runIdlChecks(checks: readonly Check[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const global = globalThis as unknown as Record<string, unknown>;
  const check = (name: string, ok: boolean, detail?: unknown) => {
    results.push(ok ? { name, ok } : { name, ok, detail: typeof detail === "string" ? detail : JSON.stringify(detail) });
  };
  const describe = (d: PropertyDescriptor | undefined) =>
    d && { writable: d.writable, enumerable: d.enumerable, configurable: d.configurable, get: typeof d.get, set: typeof d.set, value: typeof d.value };
  const throwsTypeError = (fn: () => unknown) => {
    try {
      fn();
      return "did not throw";
    } catch (error) {
      return error instanceof TypeError ? true : String(error);
    }
  };
  const rejectsTypeError = async (fn: () => unknown) => {
    let returned: unknown;
    try {
      returned = fn();
    } catch (error) {
      return `threw ${String(error)} instead of returning a rejected promise`;
    }
    if (!(returned instanceof Promise)) return "returned no promise";
    return returned.then(
      () => "resolved",
      (error: unknown) => (error instanceof TypeError ? true : String(error)),
    );
  };
  // A service worker's own registration, or the one navigator.serviceWorker gives a window or
  // (in WebKit, not Chromium) a dedicated or shared worker; else none is reachable here.
  const registration = async () => {
    if (typeof (global.registration as object | undefined) === "object") return global.registration as Record<string, unknown>;
    const container = (navigator as unknown as { serviceWorker?: { ready: Promise<Record<string, unknown>> } }).serviceWorker;
    return container ? await container.ready : undefined;
  };
  const unreachable = (name: string) => results.push({ name, ok: true, skip: "no ServiceWorkerRegistration is reachable here (no navigator.serviceWorker)" });

  for (const c of checks) {
    if (c.kind === "interface") {
      const at = `${c.name}`;
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, c.name);
      if (!c.exposed) {
        check(`${at} is not exposed here`, !(c.name in globalThis));
        continue;
      }
      check(
        `${at} is a writable, configurable, non-enumerable property of the global`,
        descriptor !== undefined && descriptor.writable === true && descriptor.enumerable === false && descriptor.configurable === true,
        describe(descriptor),
      );
      const object = global[c.name] as (new (...args: unknown[]) => object) & Record<string, unknown>;
      if (typeof object !== "function") {
        check(`${at} is a function`, false, typeof object);
        continue;
      }
      check(`${at}.name is "${c.name}"`, object.name === c.name, object.name);
      check(`${at}.length is ${c.constructorLength ?? 0}`, object.length === (c.constructorLength ?? 0), object.length);
      if (c.constructorLength === null)
        check(
          `new ${at}() throws TypeError (no constructor)`,
          throwsTypeError(() => new object()) === true,
          throwsTypeError(() => new object()),
        );
      check(`${at}() without new throws TypeError`, throwsTypeError(() => (object as unknown as () => unknown)()) === true);
      const parent = c.parent === null ? Function.prototype : global[c.parent];
      check(`${at}'s [[Prototype]] is ${c.parent ?? "Function.prototype"}`, Object.getPrototypeOf(object) === parent);
      const prototype = Object.getOwnPropertyDescriptor(object, "prototype");
      check(
        `${at}.prototype is neither writable, enumerable nor configurable`,
        prototype !== undefined && !prototype.writable && !prototype.enumerable && !prototype.configurable,
        describe(prototype),
      );
      const proto = object.prototype as Record<PropertyKey, unknown>;
      check(
        `${at}.prototype's [[Prototype]] is ${c.parent ?? "Object"}.prototype`,
        Object.getPrototypeOf(proto) === (c.parent === null ? Object.prototype : (parent as { prototype: unknown }).prototype),
      );
      const constructor = Object.getOwnPropertyDescriptor(proto, "constructor");
      check(
        `${at}.prototype.constructor is ${c.name}, writable, configurable, non-enumerable`,
        constructor?.value === object && constructor.writable === true && constructor.enumerable === false && constructor.configurable === true,
        describe(constructor),
      );
      const tag = Object.getOwnPropertyDescriptor(proto, Symbol.toStringTag);
      check(
        `${at}.prototype[Symbol.toStringTag] is "${c.name}", configurable only`,
        tag?.value === c.name && tag.writable === false && tag.enumerable === false && tag.configurable === true,
        describe(tag) ?? "absent",
      );
    } else if (c.kind === "operation") {
      const at = `${c.interface}.prototype.${c.name}`;
      const proto = (global[c.interface] as { prototype?: object } | undefined)?.prototype;
      const d = proto && Object.getOwnPropertyDescriptor(proto, c.name);
      check(
        `${at} is a writable, enumerable, configurable method`,
        d !== undefined && typeof d.value === "function" && d.writable === true && d.enumerable === true && d.configurable === true,
        describe(d),
      );
      if (typeof d?.value !== "function") continue;
      const fn = d.value as (...args: unknown[]) => unknown;
      check(`${at}.name is "${c.name}"`, fn.name === c.name, fn.name);
      check(`${at}.length is ${c.length}`, fn.length === c.length, fn.length);
      const brand = c.promise ? await rejectsTypeError(() => fn.call({}, "tag")) : throwsTypeError(() => fn.call({}, "tag"));
      check(`${at} on another object ${c.promise ? "rejects" : "throws"} TypeError`, brand === true, brand);
    } else if (c.kind === "attribute") {
      const at = c.onGlobal ? `the global's own ${c.name}` : `${c.interface}.prototype.${c.name}`;
      const proto = (global[c.interface] as { prototype?: object } | undefined)?.prototype;
      const holder = c.onGlobal ? globalThis : proto;
      const d = holder && Object.getOwnPropertyDescriptor(holder, c.name);
      check(
        `${at} is an enumerable, configurable accessor`,
        d !== undefined && typeof d.get === "function" && d.enumerable === true && d.configurable === true,
        describe(d),
      );
      if (typeof d?.get !== "function") continue;
      check(`${at}'s getter is named "get ${c.name}", length 0`, d.get.name === `get ${c.name}` && d.get.length === 0, d.get.name);
      if (c.readonly) check(`${at} has no setter (readonly)`, d.set === undefined);
      else
        check(
          `${at}'s setter is named "set ${c.name}", length 1`,
          typeof d.set === "function" && d.set.name === `set ${c.name}` && d.set.length === 1,
          d.set?.name,
        );
      const getter = d.get;
      check(
        `${at}'s getter on ${c.interface}.prototype throws TypeError`,
        throwsTypeError(() => getter.call(proto)) === true,
        throwsTypeError(() => getter.call(proto)),
      );
      if (c.eventHandler) {
        const object = {};
        global[c.name] = object;
        const kept = global[c.name] === object;
        global[c.name] = 5;
        const dropped = global[c.name] === null;
        global[c.name] = null;
        check(`${c.name} keeps a non-callable object and makes a non-object null`, kept && dropped, { kept, dropped });
      }
      if (c.sameObject) {
        const target = await registration();
        if (target) check(`${at} returns the same object each time`, target[c.name] === target[c.name]);
        else unreachable(`${at} returns the same object each time`);
      }
    } else if (c.kind === "instance") {
      const target = await registration();
      if (!target) {
        unreachable(`registration.${c.attribute} is a ${c.type}`);
        continue;
      }
      const value = target[c.attribute];
      const type = global[c.type] as { prototype: object } | undefined;
      check(
        `registration.${c.attribute}'s [[Prototype]] is ${c.type}.prototype`,
        type !== undefined && value !== null && typeof value === "object" && Object.getPrototypeOf(value) === type.prototype,
      );
      check(`String(registration.${c.attribute}) is "[object ${c.type}]"`, String(value) === `[object ${c.type}]`, String(value));
    } else if (c.kind === "constructor") {
      const object = global[c.name] as (new (...args: unknown[]) => Record<string, unknown>) | undefined;
      if (typeof object !== "function") continue;
      const init = Object.fromEntries(c.requiredMembers.map((m) => [m, "x"]));
      check(`new ${c.name}("type") throws TypeError (a required argument)`, throwsTypeError(() => new object("type")) === true);
      for (const member of c.requiredMembers) {
        const without = { ...init };
        delete without[member];
        check(`new ${c.name} without required member "${member}" throws TypeError`, throwsTypeError(() => new object("type", without)) === true);
      }
      let built: Record<string, unknown> | undefined;
      try {
        built = new object("type", init);
      } catch (error) {
        check(`new ${c.name}("type", {required members}) constructs`, false, String(error));
        continue;
      }
      check(`new ${c.name}(…)'s [[Prototype]] is ${c.name}.prototype`, Object.getPrototypeOf(built) === object.prototype);
      check(`new ${c.name}(…) is an ExtendableEvent`, built instanceof (global.ExtendableEvent as new () => object));
      for (const member of c.requiredMembers) check(`new ${c.name}(…).${member} reflects the init`, built[member] === "x", built[member]);
      for (const [member, value] of Object.entries(c.defaults))
        check(`new ${c.name}(…).${member} defaults to ${JSON.stringify(value)}`, built[member] === value, built[member]);
    }
  }
  return results;
}
