// SIGKILL `syncward agent` while its service worker commits IndexedDB transactions one after
// another: after every restart the worker reads its object store back, and every transaction
// whose `complete` fired before the kill (the worker printed "COMMITTED run:i" only then) is
// there, exactly once, with the record it wrote in the same transaction to a second store.
// SYNCWARD_IDB_KILLS sets the number of kills (default 20: each restart costs a Node start).
import t from "tap";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start } from "./cli-process.js";

const KILLS = Number(process.env.SYNCWARD_IDB_KILLS ?? 20);

const worker = `
  const run = Math.random().toString(36).slice(2, 8);
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  function openDb() {
    const r = indexedDB.open("journal", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("records", { keyPath: "id", autoIncrement: true }).createIndex("byRun", "run");
      r.result.createObjectStore("latest");
    };
    return req(r);
  }
  self.addEventListener("activate", (event) => {
    event.waitUntil((async () => {
      const db = await openDb();
      const tx = db.transaction(["records", "latest"]);
      const records = await req(tx.objectStore("records").getAll());
      const latest = await req(tx.objectStore("latest").getAll());
      console.log("HAVE " + JSON.stringify({ records: records.map((r) => r.run + ":" + r.i), latest: latest.map((r) => r.run + ":" + r.i) }));
      (async () => {
        for (let i = 0; ; i++) {
          const write = db.transaction(["records", "latest"], "readwrite");
          write.objectStore("records").add({ run, i, body: "x".repeat(200) });
          write.objectStore("latest").put({ run, i }, run);
          await new Promise((resolve, reject) => { write.oncomplete = resolve; write.onabort = () => reject(write.error); });
          console.log("COMMITTED " + run + ":" + i);
          await new Promise((resolve) => setTimeout(resolve, 3));
        }
      })();
    })());
  });
`;

t.test(`${KILLS} SIGKILLs while a worker commits IndexedDB transactions: every completed one survives, once`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-agent-idb-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sw = join(dir, "sw.js");
  await writeFile(sw, worker);
  const args = [
    "--sw",
    sw,
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "state", "store"),
    "--control",
    join(dir, "control.sock"),
    "--no-mqtt",
    "--settle",
    "0",
  ];
  const committed = new Set<string>();
  let lost = 0;
  let duplicated = 0;
  let torn = 0;
  let checked = 0;
  for (let kill = 0; kill <= KILLS; kill++) {
    const agent = start(args);
    t.teardown(() => agent.child.kill("SIGKILL"));
    const have = JSON.parse((await agent.waitFor(/^HAVE /)).slice(5)) as { records: string[]; latest: string[] };
    const counts = new Map<string, number>();
    for (const id of have.records) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of committed) if (!counts.has(id)) lost++;
    for (const n of counts.values()) if (n > 1) duplicated++;
    // Both stores changed in one transaction: the latest record of each run is its last record.
    const lastOfRun = new Map<string, number>();
    for (const id of have.records) {
      const [run, i] = id.split(":");
      lastOfRun.set(run!, Math.max(lastOfRun.get(run!) ?? -1, Number(i)));
    }
    for (const id of have.latest) if (lastOfRun.get(id.split(":")[0]!) !== Number(id.split(":")[1])) torn++;
    checked += committed.size;
    if (kill === KILLS) {
      agent.child.kill("SIGKILL");
      await new Promise((r) => agent.child.on("close", r));
      break;
    }
    await agent.waitFor(/^COMMITTED /);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
    agent.child.kill("SIGKILL");
    await new Promise((r) => agent.child.on("close", r));
    // Read only now: a COMMITTED line out before the kill was complete before the kill.
    for (const line of agent.lines) if (line.startsWith("COMMITTED ")) committed.add(line.slice(10));
  }
  t.equal(lost, 0, `no completed transaction lost across ${KILLS} kills (${committed.size} completed, ${checked} checks)`);
  t.equal(duplicated, 0, "none there twice");
  t.equal(torn, 0, "no transaction there in part");
  t.ok(committed.size >= KILLS, "the workload committed under every kill");
});
