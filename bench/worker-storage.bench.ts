// npm run bench:worker-storage — durable worker IndexedDB against the disk's own fsync rate,
// measured again right before each figure (a shared disk's rate moves): transactions committed
// (their `complete` fired) per second one at a time, eight at a time on eight object stores,
// and one at a time with 100,000 records stored, each with its CPU time per transaction; and
// the time a restart takes to load those 100,000 records. Figures are printed, never asserted.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openWorkerStorage } from "../agent/node/worker-storage.js";
import { rawFsyncRate } from "./raw-fsync-rate.js";

const ORIGIN = "http://kiosk.example";
const STORES = Array.from({ length: 8 }, (_, i) => `outbox-${i}`);
const BODY = "x".repeat(200);
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const report = (name: string, value: string) => console.log(`${name.padEnd(56)} ${value}`);

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
const complete = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });

async function openDb(idb: IDBFactory): Promise<IDBDatabase> {
  const open = idb.open("app", 1);
  open.onupgradeneeded = () => {
    for (const name of STORES) open.result.createObjectStore(name, { keyPath: "id", autoIncrement: true });
  };
  return request(open);
}

/**
 * Transactions completed per second over two seconds, `parallel` at a time on as many stores,
 * against the disk's rate just before; and the process's CPU time per transaction, which the
 * disk's swings do not move.
 */
async function rate(db: IDBDatabase, parallel: number): Promise<string> {
  const raw = await rawFsyncRate(dir);
  let n = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < 2000) {
    await Promise.all(
      STORES.slice(0, parallel).map((name) => {
        const tx = db.transaction(name, "readwrite");
        tx.objectStore(name).add({ body: BODY, at: n });
        return complete(tx);
      }),
    );
    n += parallel;
  }
  const committed = n / ((performance.now() - start) / 1000);
  const used = process.cpuUsage(cpu);
  const cpuPerTransaction = (used.user + used.system) / n;
  return `${fmt(committed)} /s = ${fmt(committed / raw, 2)}× the disk's ${fmt(raw)} appends + fsyncs /s; CPU ${fmt(cpuPerTransaction)} µs each`;
}

console.log(`syncward worker storage benchmark (Node ${process.version})\n`);
const dir = await mkdtemp(join(tmpdir(), "syncward-bench-idb-"));
let storage = await openWorkerStorage({ directory: dir, origin: ORIGIN });
let db = await openDb(storage.indexedDB);
report("transactions (one 200 B add each), one at a time", await rate(db, 1));
report("eight at a time, on eight object stores (group commit)", await rate(db, 8));

const bulk = db.transaction(STORES[7]!, "readwrite");
for (let i = 0; i < 100_000; i++) bulk.objectStore(STORES[7]!).add({ body: BODY, at: i });
await complete(bulk);
report("one at a time with 100,000 records stored", await rate(db, 1));
db.close();
await storage.close();

const start = performance.now();
storage = await openWorkerStorage({ directory: dir, origin: ORIGIN });
db = await openDb(storage.indexedDB);
const count = await request(db.transaction(STORES[7]!).objectStore(STORES[7]!).count());
const usage = (await storage.estimate()).usage;
report(`restart: load ${fmt(count)} records and open the database`, `${fmt(performance.now() - start)} ms (journal ${fmt(usage / 1024 / 1024, 1)} MiB)`);
db.close();
await storage.close();
await rm(dir, { recursive: true, force: true });
