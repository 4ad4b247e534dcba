// The Web API classes as WebIDL's ECMAScript binding shapes interfaces (names, lengths,
// enumerable members, Symbol.toStringTag, brand checks) and converts their arguments (types,
// dictionaries read once in WebIDL's order, [EnforceRange] integers), in Node; the browser
// IDL test checks the same in each engine against the specs' IDL.
import t from "tap";
import { ExtendableEvent } from "../../agent/web-api/extendable-event.js";
import { createPeriodicSyncManager, PeriodicSyncManager } from "../../agent/web-api/periodic-sync-manager.js";
import { PeriodicSyncEvent, SyncEvent } from "../../agent/web-api/sync-events.js";
import { createSyncManager, SyncManager } from "../../agent/web-api/sync-manager.js";

const interfaces = { SyncManager, PeriodicSyncManager, SyncEvent, PeriodicSyncEvent, ExtendableEvent } as const;
const members: Record<keyof typeof interfaces, Record<string, number | "attribute">> = {
  SyncManager: { register: 1, getTags: 0 },
  PeriodicSyncManager: { register: 1, getTags: 0, unregister: 1 },
  SyncEvent: { tag: "attribute", lastChance: "attribute" },
  PeriodicSyncEvent: { tag: "attribute" },
  ExtendableEvent: { waitUntil: 1 },
};
const constructorLength = { SyncManager: 0, PeriodicSyncManager: 0, SyncEvent: 2, PeriodicSyncEvent: 2, ExtendableEvent: 1 };

t.test("interface objects: their names, lengths, enumerable members and Symbol.toStringTag", async (t) => {
  for (const [name, constructor] of Object.entries(interfaces) as [keyof typeof interfaces, (typeof interfaces)[keyof typeof interfaces]][]) {
    t.equal(constructor.name, name, `${name}.name`);
    t.equal(constructor.length, constructorLength[name], `${name}.length`);
    const prototype = constructor.prototype as object;
    t.match(
      Object.getOwnPropertyDescriptor(prototype, Symbol.toStringTag),
      { value: name, writable: false, enumerable: false, configurable: true },
      `${name}.prototype[Symbol.toStringTag]`,
    );
    for (const [member, kind] of Object.entries(members[name])) {
      const d = Object.getOwnPropertyDescriptor(prototype, member)!;
      if (kind === "attribute") {
        t.match(d, { enumerable: true, configurable: true, set: undefined }, `${name}.${member}: an enumerable readonly accessor`);
        t.equal(d.get!.name, `get ${member}`);
      } else {
        t.match(d, { enumerable: true, configurable: true, writable: true }, `${name}.${member}: an enumerable operation`);
        t.equal((d.value as () => void).length, kind, `${name}.${member}.length`);
        t.equal((d.value as () => void).name, member);
      }
    }
  }
  t.equal(String(createSyncManager({ register: async () => {}, getTags: async () => [] })), "[object SyncManager]");
});

t.test("operations check their this", async (t) => {
  await t.rejects(SyncManager.prototype.register.call({}, "x"), TypeError, "register() on a plain object rejects TypeError");
  await t.rejects(PeriodicSyncManager.prototype.getTags.call(SyncManager.prototype), TypeError);
  t.throws(() => Object.getOwnPropertyDescriptor(SyncEvent.prototype, "tag")!.get!.call({}), TypeError, "an attribute getter too");
});

t.test("SyncEvent's arguments: the type first, then each dictionary member read once in WebIDL's order", async (t) => {
  const reads: string[] = [];
  const init = new Proxy(
    { tag: "t", lastChance: 1 },
    {
      get(target, key) {
        reads.push(String(key));
        return Reflect.get(target, key);
      },
    },
  );
  const type = { toString: () => (reads.push("type"), "sync") };
  const event = new SyncEvent(type as never, init as never);
  t.same(reads, ["type", "bubbles", "cancelable", "composed", "lastChance", "tag"]);
  t.equal(event.lastChance, true, "converted to boolean");
  t.throws(() => new (SyncEvent as unknown as new (type: string) => Event)("sync"), { name: "TypeError", message: /2 arguments required, but only 1 present/ });
  t.throws(() => new SyncEvent("sync", 5 as never), TypeError, "an init that is not an object");
  const missing: string[] = [];
  t.throws(() => new PeriodicSyncEvent("periodicsync", new Proxy({}, { get: (_, key) => void missing.push(String(key)) }) as never), TypeError);
  t.same(missing, ["bubbles", "cancelable", "composed", "tag"], "a missing required tag throws at its turn");
});

t.test("minInterval: [EnforceRange] unsigned long long", async (t) => {
  const seen: number[] = [];
  const manager = createPeriodicSyncManager({
    register: async (_tag, minInterval) => void seen.push(minInterval),
    getTags: async () => [],
    unregister: async () => {},
  });
  await t.rejects(manager.register("a", { minInterval: 1n as never }), TypeError, "a BigInt is a TypeError, as ToNumber makes it");
  await t.rejects(manager.register("a", { minInterval: -1 }), TypeError);
  await manager.register("a", { minInterval: -0 });
  await manager.register("a", { minInterval: -0.5 });
  t.ok(seen.length === 2 && seen.every((v) => Object.is(v, 0)), "-0 and -0.5 become +0");
  let reads = 0;
  await manager.register("b", {
    get minInterval() {
      reads++;
      return 1000;
    },
  });
  t.equal(reads, 1, "the member is read once");
});
