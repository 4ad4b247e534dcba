// Service workers that never return, in the host: a top level in `while (true) {}` is bounded
// by the start limit, and an activate listener in one by the activate limit; the stuck thread
// is terminated, and the worker's next event starts it again. A stuck sync listener takes down
// its origin's thread, whose workers share one durable IndexedDB: the next thread loads every
// transaction that completed, and another origin's worker goes on meanwhile. (A stuck sync listener and a
// stuck install, with a real agent process: tests/cli/stuck-worker.test.ts.)
import t from "tap";
import { until, world } from "./service-worker-world.js";

const CLIENT = { id: "tab", url: "http://localhost:8080/" };

t.test("a top level that never returns: load() fails at the start limit, nothing is served, the next worker loads", async (t) => {
  // The limit covers the thread's start as well, which takes seconds on a busy machine under the tests' TypeScript loader.
  const w = await world(t, { clients: [CLIENT], limits: { startMs: 8000 } });
  const began = Date.now();
  await t.rejects(w.load(`while (true) {}`), /the script's top level ran past its limit of 8000 ms/);
  t.ok(Date.now() - began >= 8000, "not before the limit");
  t.same(w.agent.status(), []);
  const sw = await w.load(`self.addEventListener("sync", () => {});`);
  await sw.registration.sync.register("fine");
  await until(() => w.named("sync event completed", "fine").length === 1, "the other worker's event");
});

t.test("an activate listener that never returns: logged, the worker is active, and its next event runs in a new thread", async (t) => {
  // The event's limit counts from its dispatch, so it covers the thread's new start (a second under the tests' loader).
  const w = await world(t, {
    clients: [CLIENT],
    limits: { activateMs: 500, unresponsiveMs: 200 },
    policy: { eventTimeout: 10_000, lastChanceEventTimeout: 10_000 },
  });
  const sw = await w.load(`
    self.thread = Math.random();
    self.addEventListener("activate", () => { while (true) {} });
    self.addEventListener("sync", (event) => { self.synced = event.tag; });
  `);
  t.ok(w.lines.includes("http://localhost:8080/: the activate event ran past its limit of 500 ms"), w.lines.join("\n"));
  await until(() => w.lines.some((l) => l.includes("did not answer for 200 ms: terminated")), "the stuck thread's end");
  await sw.registration.sync.register("after");
  await until(() => w.named("sync event completed", "after").length === 1, "the event on the restarted worker");
  t.equal(await sw.evaluate("self.synced"), "after", "the new thread ran the listener");
  t.equal(w.named("sync event failed").length, 0);
});

const IDB = `
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const db = () => {
    const r = indexedDB.open("app", 1);
    r.onupgradeneeded = () => r.result.createObjectStore("kv");
    return req(r);
  };
  const put = async (key, value) => {
    const tx = (await db()).transaction("kv", "readwrite");
    tx.objectStore("kv").put(value, key);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
  };
  self.put = put;
  self.get = async (key) => req((await db()).transaction("kv").objectStore("kv").get(key));
  self.addEventListener("sync", (event) => {
    if (event.tag !== "spin") return;
    // Committed, then stuck: its complete fired, so it must outlive the thread.
    event.waitUntil(put("last words", "committed before the spin").then(() => { while (true) {} }));
  });
`;

t.test("a stuck listener ends its origin's thread: the restarted thread has the committed IndexedDB data, shared by the origin's workers", async (t) => {
  const other = { id: "tab-2", url: "http://localhost:8081/" };
  const w = await world(t, {
    clients: [CLIENT, other],
    durableStorage: true,
    limits: { unresponsiveMs: 200 },
    policy: { maxAttempts: 1, eventTimeout: 1500, lastChanceEventTimeout: 1500 },
  });
  const writer = await w.load(IDB, "http://localhost:8080/writer/");
  const reader = await w.load(IDB, "http://localhost:8080/reader/");
  const elsewhere = await w.load(`self.addEventListener("sync", () => {});`, other.url);
  await writer.evaluate(`self.put("greeting", { text: "hello" })`);
  t.same(await reader.evaluate(`self.get("greeting")`), { text: "hello" }, "a second worker of the origin sees the first one's database");
  t.equal(await writer.evaluate("self.origins = 'same thread'"), "same thread");
  t.equal(await reader.evaluate("typeof self.origins"), "undefined", "yet each worker has its own global scope");

  await writer.registration.sync.register("spin");
  await until(() => w.named("Dispatched sync event", "spin").length === 1, "the spin's dispatch");
  await elsewhere.registration.sync.register("meanwhile");
  await until(() => w.named("sync event completed", "meanwhile").length === 1, "the other origin's event");
  t.equal(w.named("sync event failed", "spin").length, 0, "completed while the stuck origin's thread still spun");
  await until(() => w.lines.some((l) => l.includes("terminated, with the other workers of http://localhost:8080")), "the stuck thread's end", 10_000);

  t.equal(
    await reader.evaluate(`self.get("last words")`),
    "committed before the spin",
    "the restarted thread loaded the transaction that completed just before the spin",
  );
  t.same(await writer.evaluate(`self.get("greeting")`), { text: "hello" }, "and the earlier one");
  t.equal(await writer.evaluate("typeof self.origins"), "undefined", "in a new thread: the worker's globals started afresh");
});
