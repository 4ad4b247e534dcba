// The page's IndexedDB store, on fake-indexeddb (the real engines run it in the browser
// scenarios): what a commit makes durable comes back, a commit applies its puts and deletes
// all or nothing, bad records are reported and skipped, and the worker's read sees what is stored.
import t from "tap";
import { IDBDatabase, IDBFactory } from "fake-indexeddb";
import { IndexedDBStore, storedTags } from "../../agent/browser/indexeddb-store.js";
import { storeKey, type StoredRegistration } from "../../agent/store.js";

const record = (tag: string, over: Partial<StoredRegistration> = {}): StoredRegistration => ({
  scope: "http://localhost/",
  tag,
  kind: "one-shot",
  attempts: 0,
  maxAttempts: 3,
  delayUntil: 0,
  anchorOrExpiry: 0,
  minInterval: 0,
  unmeteredOnly: false,
  allowOnBattery: true,
  ...over,
});
const puts = (...records: StoredRegistration[]) => new Map<string, StoredRegistration | null>(records.map((r) => [storeKey(r), r]));

t.test("what a commit makes durable, a new store loads", async (t) => {
  const factory = new IDBFactory();
  const store = new IndexedDBStore(factory);
  t.same(await store.load(), { registrations: new Map(), discarded: [] }, "empty at first");
  await store.commit(puts(record("a"), record("b"), record("p", { kind: "periodic", minInterval: 1000 })));
  const change = puts(record("b", { attempts: 1, delayUntil: 1_800_000_000_000 }));
  change.set(storeKey(record("a")), null);
  await store.commit(change);
  await store.close();
  const again = new IndexedDBStore(factory);
  const { registrations, discarded } = await again.load();
  t.same(
    [...registrations.keys()].sort(),
    ["one-shot http://localhost/ b", "periodic http://localhost/ p"],
    "the second commit deleted a and left p as it was",
  );
  t.same(registrations.get("one-shot http://localhost/ b"), record("b", { attempts: 1, delayUntil: 1_800_000_000_000 }));
  t.same(discarded, []);
  await again.close();
  await t.rejects(again.commit(puts()), { name: "InvalidStateError" }, "a closed store refuses commits");
});

t.test("commits ask for strict durability", async (t) => {
  const options: unknown[] = [];
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof original>) {
    if (args[1] === "readwrite") options.push(args[2]);
    return original.apply(this, args);
  };
  t.teardown(() => void (IDBDatabase.prototype.transaction = original));
  const store = new IndexedDBStore(new IDBFactory());
  await store.commit(puts(record("a")));
  t.same(options, [{ durability: "strict" }], "the one write transaction");
});

t.test("a commit that cannot be stored changes nothing", async (t) => {
  const factory = new IDBFactory();
  const store = new IndexedDBStore(factory);
  await store.commit(puts(record("kept")));
  const unclonable = { ...record("bad"), tag: "bad", extra: () => {} } as unknown as StoredRegistration;
  // The delete goes first, so the abort must undo work the transaction had done.
  const change = new Map([[storeKey(record("kept")), null], ...puts(record("new"), unclonable)]);
  await t.rejects(store.commit(change), { name: "DataCloneError" });
  t.same([...(await store.load()).registrations.keys()], ["one-shot http://localhost/ kept"], "neither the put nor the delete happened");
});

t.test("bad records are reported and skipped, never thrown", async (t) => {
  const factory = new IDBFactory();
  const store = new IndexedDBStore(factory);
  await store.commit(puts(record("good")));
  await new Promise<void>((resolve, reject) => {
    const open = factory.open("syncward");
    open.onsuccess = () => {
      const transaction = open.result.transaction("registrations", "readwrite");
      transaction.objectStore("registrations").put({ scope: "http://localhost/", tag: "x", kind: "one-shot", attempts: 9, maxAttempts: 3 }, "broken");
      transaction.objectStore("registrations").put("not a record", "junk");
      transaction.oncomplete = () => (open.result.close(), resolve());
      transaction.onerror = () => reject(transaction.error);
    };
  });
  const { registrations, discarded } = await store.load();
  t.same([...registrations.keys()], ["one-shot http://localhost/ good"]);
  t.equal(discarded.length, 2);
  t.match(discarded.join("\n"), /"broken".*maxAttempts|"broken".*attempts/);
  t.match(discarded.join("\n"), /"junk".*not an object/);
});

t.test("a worker alone reads the tags of its scope and kind", async (t) => {
  const factory = new IDBFactory();
  const store = new IndexedDBStore(factory);
  await store.commit(
    puts(record("a"), record("b"), record("p", { kind: "periodic", minInterval: 5 }), record("elsewhere", { scope: "http://localhost/other/" })),
  );
  t.same((await storedTags("http://localhost/", "one-shot", factory)).sort(), ["a", "b"]);
  t.same(await storedTags("http://localhost/", "periodic", factory), ["p"]);
  t.same(await storedTags("http://localhost/nothing/", "one-shot", factory), []);
});
