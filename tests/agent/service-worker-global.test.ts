// What a real service worker script finds in its global scope, in its own thread under a real
// Agent: onsync and the interface objects (SyncEvent, IDBKeyRange, ...), IndexedDB per origin,
// navigator.onLine following the agent, importScripts() and its NetworkError DOMExceptions,
// and clients.matchAll() and register() following the window clients. How the host dispatches
// events and runs the worker's lifecycle is service-worker-host.test.ts.
import t from "tap";
import { pathToFileURL } from "node:url";
import { until, world } from "./service-worker-world.js";

t.test("the worker global: onsync, importScripts, IndexedDB, instanceof, location, navigator", async (t) => {
  const w = await world(t, { clients: [{ id: "tab", url: "http://localhost:8080/" }] });
  await w.file("helper.js", `self.helperValue = () => "from the helper";`);
  const code = `
    importScripts("./helper.js");
    function request(r) {
      return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
    }
    function openDb() {
      const r = indexedDB.open("outbox", 1);
      r.onupgradeneeded = () => { self.upgraded = true; r.result.createObjectStore("items"); };
      return request(r);
    }
    self.facts = {
      self: self === globalThis,
      location: location.href,
      onLine: navigator.onLine,
      keyRange: IDBKeyRange.only(1) instanceof IDBKeyRange,
      uuid: typeof crypto.randomUUID(),
      base64: atob(btoa("x")),
      request: new Request("/api?x=1").url,
    };
    self.onsync = (event) => {
      self.facts.instance = event instanceof SyncEvent && event instanceof ExtendableEvent && event instanceof Event;
      self.facts.handlerReadsBack = self.onsync !== null && typeof onsync === "function";
      self.count = (self.count || 0) + 1;
      event.waitUntil((async () => {
        const db = await openDb();
        const tx = db.transaction("items", "readwrite");
        await request(tx.objectStore("items").put(helperValue(), event.tag));
        self.stored = await request(db.transaction("items").objectStore("items").get(event.tag));
        db.close();
      })());
    };
  `;
  const sw = await w.load(code);
  t.match(await sw.evaluate("self.facts"), {
    self: true,
    location: /^http:\/\/localhost:8080\/sw-\w+\.js$/,
    onLine: true,
    keyRange: true,
    uuid: "string",
    base64: "x",
    request: "http://localhost:8080/api?x=1",
  });
  await sw.registration.sync.register("put");
  await until(() => w.named("sync event completed").length === 1, "the IndexedDB event");
  t.equal(await sw.evaluate("self.stored"), "from the helper", "the helper's value went through IndexedDB");
  t.equal(await sw.evaluate("self.upgraded"), true);
  t.equal(await sw.evaluate("self.facts.instance"), true, "event instanceof SyncEvent inside the worker");
  t.equal(await sw.evaluate("self.facts.handlerReadsBack"), true);

  // Assigning null removes the handler: an event with no listener at all succeeds.
  t.equal(await sw.evaluate("self.onsync = null, self.onsync"), null);
  await sw.registration.sync.register("unhandled");
  await until(() => w.named("sync event completed", "unhandled").length === 1, "the unhandled event");
  t.equal(await sw.evaluate("self.count"), 1, "the handler was not called");

  // IndexedDB is per origin, as in browsers: a second worker of the origin sees the database,
  // a worker of another origin does not.
  const openOutbox = `self.done = new Promise((resolve) => {
    const r = indexedDB.open("outbox", 1);
    r.onupgradeneeded = () => { self.upgraded = true; r.result.createObjectStore("items"); };
    r.onsuccess = () => { r.result.close(); resolve(); };
  });`;
  const sameOrigin = await w.load(openOutbox, "http://localhost:8080/other/");
  await sameOrigin.evaluate("self.done");
  t.equal(await sameOrigin.evaluate("self.upgraded"), undefined, "a second worker of the origin shares its IndexedDB");
  const otherOrigin = await w.load(openOutbox, "http://localhost:8081/");
  await otherOrigin.evaluate("self.done");
  t.equal(await otherOrigin.evaluate("self.upgraded"), true, "the database is new to a worker of another origin");

  w.agent.setConditions({ online: false });
  t.equal(await sw.evaluate("navigator.onLine"), false, "navigator.onLine follows the agent");
  w.agent.setConditions({ online: true });
  t.equal(await sw.evaluate("navigator.onLine"), true, "and back, read by the worker's thread from memory it shares with the agent");

  const exposed = await sw.evaluate(`["SyncManager", "PeriodicSyncManager", "SyncEvent", "ExtendableEvent", "IDBFactory"]
    .map((name) => [name, Object.getOwnPropertyDescriptor(self, name)])
    .filter(([, d]) => !d || d.enumerable || !d.writable || !d.configurable).map(([name]) => name)`);
  t.same(exposed, [], "interface objects are writable, configurable, not enumerable globals (WebIDL)");
});

t.test("importScripts: errors are NetworkError DOMExceptions; after installation only cached scripts", async (t) => {
  const w = await world(t);
  const helper = await w.file("helper2.js", `self.loads = (self.loads || 0) + 1;`);
  const sw = await w.load(`
    const name = (f) => { try { f(); return "ok"; } catch (e) { return e.name + (e instanceof DOMException ? " DOMException" : ""); } };
    self.top = {
      missing: name(() => importScripts("./missing.js")),
      http: name(() => importScripts("https://example.com/x.js")),
      absolute: name(() => importScripts(${JSON.stringify(helper)})),
      fileURL: name(() => importScripts(${JSON.stringify(pathToFileURL(helper).href)})),
    };
    self.later = (url) => name(() => importScripts(url));
  `);
  t.same(await sw.evaluate("self.top"), { missing: "NetworkError DOMException", http: "NetworkError DOMException", absolute: "ok", fileURL: "ok" });
  t.equal(await sw.evaluate("self.loads"), 2);
  const later = (url: string) => sw.evaluate(`later(${JSON.stringify(url)})`);
  t.equal(await later("./helper2.js"), "ok", "a script imported during installation can be imported again");
  await w.file("new.js", "self.fresh = true;");
  t.equal(await later("./new.js"), "NetworkError DOMException", "a new one cannot, as in browsers");
  t.ok(w.lines.some((l) => l.includes("not imported before installation")));
});

t.test("clients.matchAll() and register() from the worker follow the window clients", async (t) => {
  const scope = "http://localhost:8080/app/";
  const w = await world(t, { scope });
  const sw = await w.load(`
    self.probe = async () => {
      const all = await clients.matchAll({ type: "window", includeUncontrolled: true });
      const controlled = await clients.matchAll();
      const workers = await clients.matchAll({ type: "worker", includeUncontrolled: true });
      let register;
      try { await self.registration.sync.register("from-worker"); register = "resolved"; }
      catch (e) { register = e.name + (e instanceof DOMException ? " DOMException" : ""); }
      await clients.claim();
      await skipWaiting();
      return { all, controlled, workers, register };
    };
  `);
  const probe = () => sw.evaluate("probe()");
  t.same(await probe(), { all: [], controlled: [], workers: [], register: "InvalidAccessError DOMException" }, "no window client: InvalidAccessError");
  t.same(w.agent.status(), []);

  w.clients.push(
    { id: "a", url: "http://localhost:8080/app/page" },
    { id: "b", url: "http://other.example/" },
    { id: "c", url: "http://localhost:8080/elsewhere" },
  );
  const a = { id: "a", type: "window", url: "http://localhost:8080/app/page", frameType: "top-level" };
  const c = { id: "c", type: "window", url: "http://localhost:8080/elsewhere", frameType: "top-level" };
  t.same(await probe(), { all: [a, c], controlled: [a], workers: [], register: "resolved" }, "same-origin clients only; register() resolves");
  await until(() => w.named("sync event completed", "from-worker").length === 1, "its event");
});
