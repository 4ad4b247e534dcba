// Durable worker storage through real service worker scripts in the Node host: IndexedDB as
// apps use it (stores, indexes, autoIncrement, cursors, upgrades, deleteDatabase) reads back
// the same after a restart; Workbox's own background-sync Queue replays what it queued before
// a restart; storage is per origin; navigator.storage.estimate() grows with the data; damaged
// journals are logged and never crash the worker.
import t from "tap";
import { build } from "esbuild";
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { Agent } from "../../agent/agent.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { FileStore } from "../../agent/node/file-store.js";
import { NodeServiceWorkerHost, type HostedServiceWorker } from "../../agent/node/service-worker-host.js";
import { originFileName } from "../../agent/node/worker-storage.js";

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** An agent with a FileStore and durable worker storage in `dir`; `stop()` is a restart's first half. */
async function boot(dir: string, options: { online?: boolean } = {}) {
  const lines: string[] = [];
  const pages: { id: string; url: string }[] = []; // a window client (the app's page) per loaded scope
  const host = await NodeServiceWorkerHost.start({
    agent: async (dispatcher) =>
      Agent.start({
        scheduler: singleTenant(await createScheduler({ preset: "chromium", policy: { initialRetryDelay: 50 } })),
        store: new FileStore({ path: join(dir, "registrations") }),
        dispatcher,
      }),
    windowClients: () => pages,
    log: (line) => lines.push(line),
    storageDirectory: dir,
  });
  host.agent.setConditions({ online: options.online ?? true });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await host.close();
  };
  return {
    host,
    lines,
    stop,
    load: async (code: string, scope: string) => {
      const script = join(dir, `sw-${new URL(scope).port || "80"}.js`);
      await writeFile(script, code);
      pages.push({ id: `page-${pages.length}`, url: scope });
      return functionsOf(await host.load({ script, scope }));
    },
  };
}

/** The worker's global functions, called in its thread: `sw.add("x")` evaluates `self.add("x")` there. */
function functionsOf(sw: HostedServiceWorker): Record<string, (...args: unknown[]) => Promise<unknown>> {
  return new Proxy(
    {},
    {
      // Not a thenable: the proxy is returned from async functions.
      get: (_, name) =>
        name === "then" ? undefined : (...args: unknown[]) => sw.evaluate(`self[${JSON.stringify(String(name))}](...${JSON.stringify(args)})`),
    },
  );
}

async function tempDir(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "syncward-worker-storage-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const COMMON = `
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const done = (tx) => new Promise((resolve, reject) => { tx.oncomplete = () => resolve(); tx.onabort = () => reject(tx.error || new Error("aborted")); });
`;

const SHOP = `${COMMON}
  async function openShop(version) {
    const r = indexedDB.open("shop", version);
    r.onupgradeneeded = (e) => {
      const db = r.result, tx = r.transaction;
      if (e.oldVersion < 1) {
        const items = db.createObjectStore("items", { keyPath: "id", autoIncrement: true });
        items.createIndex("byCategory", "category");
        items.createIndex("bySku", "sku", { unique: true });
        items.createIndex("byTags", "tags", { multiEntry: true });
        db.createObjectStore("kv");
        db.createObjectStore("old");
      }
      if (version >= 2 && e.oldVersion < 2) {
        tx.objectStore("old").name = "renamed";
        tx.objectStore("items").deleteIndex("byCategory");
        tx.objectStore("items").createIndex("byPrice", "price");
      }
    };
    return req(r);
  }
  self.exercise = async () => {
    let db = await openShop(1);
    let tx = db.transaction(["items", "kv", "old"], "readwrite");
    for (let i = 0; i < 20; i++) {
      tx.objectStore("items").add({ sku: "sku-" + i, category: i % 3 ? "tools" : "food", tags: ["t" + (i % 4), "all"],
        price: i * 1.5, added: new Date(1700000000000 + i), bytes: new Uint8Array([i, i + 1]) });
    }
    tx.objectStore("kv").put({ nested: { list: [1, 2, 3], map: new Map([["a", 1]]), set: new Set(["s"]) } }, "config");
    tx.objectStore("kv").put("compound", [1, "key", new Date(5)]);
    tx.objectStore("old").put("kept across a rename", 1);
    await done(tx);
    tx = db.transaction("items", "readwrite");
    tx.objectStore("items").openCursor().onsuccess = (e) => {
      const c = e.target.result;
      if (!c) return;
      if (c.value.id % 5 === 0) c.delete();
      else if (c.value.category === "food") c.update({ ...c.value, price: c.value.price + 100 });
      c.continue();
    };
    await done(tx);
    tx = db.transaction("items", "readwrite");
    tx.objectStore("items").delete(IDBKeyRange.bound(18, 20));
    await done(tx);
    tx = db.transaction("kv", "readwrite");
    tx.objectStore("kv").put("never", "aborted");
    tx.abort();
    await done(tx).catch(() => {});
    tx = db.transaction("items", "readwrite");
    tx.objectStore("items").add({ sku: "sku-1", tags: [] }); // a unique index refuses it: the transaction aborts
    await done(tx).catch(() => {});
    db.close();
    const scratch = await req(indexedDB.open("scratch", 3));
    scratch.close();
    await req(indexedDB.deleteDatabase("scratch"));
    const temporary = await req(indexedDB.open("temporary", 1));
    temporary.close();
    (await openShop(2)).close();
  };
  self.view = async () => {
    const db = await openShop(2);
    const tx = db.transaction(Array.from(db.objectStoreNames));
    const items = tx.objectStore("items");
    const out = {
      version: db.version, stores: Array.from(db.objectStoreNames), indexes: Array.from(items.indexNames),
      items: await req(items.getAll()), count: await req(items.count()),
      kv: await req(tx.objectStore("kv").getAll()), kvKeys: await req(tx.objectStore("kv").getAllKeys()),
      renamed: await req(tx.objectStore("renamed").getAll()),
      expensive: await req(items.index("byPrice").getAllKeys(IDBKeyRange.lowerBound(100))),
      tagged: await req(items.index("byTags").getAllKeys("t1")),
      sku3: await req(items.index("bySku").getKey("sku-3")),
      databases: (await indexedDB.databases()).map((d) => d.name + "@" + d.version).sort(),
      byPriceDescending: [],
    };
    await new Promise((resolve) => {
      items.index("byPrice").openCursor(null, "prev").onsuccess = (e) => {
        const c = e.target.result;
        if (!c) return resolve();
        out.byPriceDescending.push(c.primaryKey);
        c.continue();
      };
    });
    db.close();
    return out;
  };
  self.addOne = async () => {
    const db = await openShop(2);
    const tx = db.transaction("items", "readwrite");
    const key = await req(tx.objectStore("items").add({ sku: "new", tags: [], price: 1 }));
    await done(tx);
    db.close();
    return key;
  };
`;

t.test("IndexedDB as apps use it reads back the same after a restart", async (t) => {
  const dir = await tempDir(t);
  const scope = "http://127.0.0.1:8080/";
  const first = await boot(dir);
  const sw = await first.load(SHOP, scope);
  await sw.exercise!();
  const before = inspect(await sw.view!(), { depth: null });
  await first.stop();

  const second = await boot(dir);
  t.teardown(second.stop);
  const again = await second.load(SHOP, scope);
  const after = (await again.view!()) as { version: number; count: number; stores: string[]; databases: string[]; kv: unknown[] };
  t.equal(inspect(after, { depth: null }), before, "records, keys, indexes, schema and databases() are what they were");
  t.match(after, { version: 2, count: 14, stores: ["items", "kv", "renamed"], databases: ["shop@2", "temporary@1"] });
  t.notOk(inspect(after.kv).includes("never"), "the aborted transaction left nothing");
  t.equal(await again.addOne!(), 21, "the key generator goes on after 20, deleted before the restart, as in browsers");
  t.same(second.lines, [], "nothing to report");
});

t.test("a Workbox background-sync Queue filled before a restart is replayed after it", async (t) => {
  const received: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => server.close());
  const scope = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const workbox = await build({
    stdin: { contents: 'import { Queue } from "workbox-background-sync"; self.WorkboxQueue = Queue;', resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    format: "iife",
    write: false,
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const code = `${workbox.outputFiles[0]!.text}
    const queue = new WorkboxQueue("outbox");
    self.enqueue = (body) => queue.pushRequest({ request: new Request("/api/messages", { method: "POST", body }) });
    self.size = () => queue.size();
  `;
  const dir = await tempDir(t);
  const first = await boot(dir, { online: false });
  const sw = await first.load(code, scope);
  await sw.enqueue!("first message");
  await sw.enqueue!("second message");
  t.equal(await sw.size!(), 2, "queued while offline");
  await first.stop();
  t.same(received, [], "nothing sent before the restart");

  const second = await boot(dir, { online: true });
  t.teardown(second.stop);
  const again = await second.load(code, scope);
  for (const deadline = Date.now() + 10_000; received.length < 2 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  t.same(received, ["POST /api/messages first message", "POST /api/messages second message"], "Workbox replayed its queue, in order");
  for (const deadline = Date.now() + 5000; Number(await again.size!()) > 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  t.equal(await again.size!(), 0, "and emptied it");
});

const NOTES = `${COMMON}
  async function openNotes() {
    const r = indexedDB.open("notes", 1);
    r.onupgradeneeded = () => r.result.createObjectStore("notes", { autoIncrement: true });
    return req(r);
  }
  self.add = async (text, times = 1) => {
    const db = await openNotes();
    const tx = db.transaction("notes", "readwrite");
    for (let i = 0; i < times; i++) tx.objectStore("notes").add(text);
    await done(tx);
    db.close();
  };
  self.all = async () => {
    const db = await openNotes();
    const all = await req(db.transaction("notes").objectStore("notes").getAll());
    db.close();
    return all.join(",");
  };
  self.estimate = () => navigator.storage.estimate();
  self.persisted = () => navigator.storage.persisted();
`;

t.test("storage is per origin, and estimate() reports usage that grows", async (t) => {
  const dir = await tempDir(t);
  const first = await boot(dir);
  const a = await first.load(NOTES, "http://127.0.0.1:8081/");
  const b = await first.load(NOTES, "http://127.0.0.1:8082/");
  await a.add!("from a");
  await b.add!("from b");
  const empty = (await a.estimate!()) as { usage: number; quota: number };
  await a.add!("x".repeat(2000), 50);
  const full = (await a.estimate!()) as { usage: number; quota: number };
  t.ok(full.usage >= empty.usage + 100_000, `usage grew from ${empty.usage} to ${full.usage} bytes with 100 kB of notes`);
  t.ok(full.quota > full.usage, `quota ${full.quota} bytes`);
  t.equal(((await b.estimate!()) as { usage: number }).usage, empty.usage, "the other origin's usage did not move");
  t.equal(await a.persisted!(), true, "navigator.storage.persisted()");
  await first.stop();
  t.same((await readdir(dir)).filter((f) => f.endsWith(".idb")).sort(), [originFileName("http://127.0.0.1:8081"), originFileName("http://127.0.0.1:8082")]);

  const second = await boot(dir);
  t.teardown(second.stop);
  const a2 = await second.load(NOTES, "http://127.0.0.1:8081/");
  const b2 = await second.load(NOTES, "http://127.0.0.1:8082/");
  t.ok(String(await a2.all!()).startsWith("from a,xx"), "a's notes, after the restart");
  t.equal(await b2.all!(), "from b", "b's note only");
  t.equal(((await a2.estimate!()) as { usage: number }).usage, full.usage, "the same usage after the restart");
});

t.test("a torn or garbage journal is one log line; the worker keeps what is whole and goes on", async (t) => {
  const dir = await tempDir(t);
  const torn = "http://127.0.0.1:8083/";
  const garbage = "http://127.0.0.1:8084/";
  const first = await boot(dir);
  const sw = await first.load(NOTES, torn);
  for (const text of ["one", "two", "three"]) await sw.add!(text);
  await first.stop();
  const tornFile = join(dir, originFileName(new URL(torn).origin));
  await truncate(tornFile, (await readFile(tornFile)).length - 3);
  await writeFile(join(dir, originFileName(new URL(garbage).origin)), Buffer.from("this is not a journal at all ".repeat(40)));

  const second = await boot(dir);
  const a = await second.load(NOTES, torn);
  const b = await second.load(NOTES, garbage);
  t.equal(await a.all!(), "one,two", "the transactions before the torn one are there");
  t.equal(await b.all!(), "", "nothing usable: empty");
  t.match(second.lines.join("\n"), /dropped a torn tail of \d+ bytes/, "the torn tail is logged");
  t.match(second.lines.join("\n"), /skipped a bad file header .*rewriting the log without it/, "the garbage is logged");
  await a.add!("four");
  await b.add!("after the garbage");
  await second.stop();

  const third = await boot(dir);
  t.teardown(third.stop);
  t.equal(await (await third.load(NOTES, torn)).all!(), "one,two,four");
  t.equal(await (await third.load(NOTES, garbage)).all!(), "after the garbage");
  t.same(third.lines, [], "repaired: nothing more to report");
});
