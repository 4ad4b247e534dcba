// Power cuts at every step of a worker's IndexedDB workload, in the manner of SQLite's crash
// tests and of tests/store/power-cut.test.ts: one origin's storage runs on the simulated disk,
// and before every write, truncation, fsync, creation, rename and removal the images a power
// cut would leave are taken. Each image is loaded by a fresh OriginStorage, read through the
// IndexedDB API, and must hold every transaction whose `complete` fired, whole (a transaction
// still committing may be there whole or not at all, never in part); the key generator never
// hands out a key it gave before; and the recovered storage goes on (a transaction after the
// recovery survives a reload). The test of the test: with one of the journal's fsyncs ignored
// by a lying disk, the same walk finds a loss.
import t from "tap";
import { finished, request } from "./idb-promises.js";
import { OriginStorage } from "../../agent/node/origin-storage.js";
import { PowerCutDisk, type CrashVariant, type DiskImage } from "../store/power-cut-disk.js";
import { eachIgnoredFsyncLoses, type WalkOutcome } from "../store/fsync-removal.js";

const PATH = "/data/origin.idb";
const QUOTA = 1 << 30;
const TURNS = 240;

type Store = Map<string, string>;
/** A database as the test reads it: version, object stores with their indexes, records as JSON. */
interface State {
  version: number;
  schema: string;
  stores: Map<string, Store>;
}

/** A transaction of the workload: what it changes once its requests succeeded. */
interface Tx {
  store: string;
  changes: Map<string, string | null>;
  /** All its requests succeeded: it may have reached the journal. */
  ready: boolean;
  /** A versionchange: the state's version and schema after it. */
  upgrade?: { version: number; schema: string };
}

function upgradeTo(version: number) {
  return (db: IDBDatabase, tx: IDBTransaction) => {
    if (version === 1) {
      db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      db.createObjectStore("kv");
    }
    if (version === 2) tx.objectStore("outbox").createIndex("byTurn", "turn");
    if (version === 3) db.createObjectStore("audit", { autoIncrement: true }).createIndex("byKind", "kind", { unique: false });
  };
}

async function openDb(idb: IDBFactory, version?: number): Promise<IDBDatabase> {
  const open = version === undefined ? idb.open("app") : idb.open("app", version);
  open.onupgradeneeded = (event) => {
    for (let v = event.oldVersion + 1; v <= (event.newVersion ?? 0); v++) upgradeTo(v)(open.result, open.transaction!);
  };
  return request(open);
}

const schemaOf = (db: IDBDatabase, tx: IDBTransaction) =>
  JSON.stringify(Array.from(db.objectStoreNames, (name) => [name, Array.from(tx.objectStore(name).indexNames)]));

async function read(db: IDBDatabase): Promise<State> {
  const names = Array.from(db.objectStoreNames);
  const tx = db.transaction(names);
  const stores = new Map<string, Store>();
  for (const name of names) {
    const store = tx.objectStore(name);
    const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
    stores.set(name, new Map(keys.map((k, i) => [JSON.stringify(k), JSON.stringify(values[i])])));
  }
  return { version: db.version, schema: schemaOf(db, tx), stores };
}

function apply(state: State, tx: Tx): State {
  if (tx.changes.size === 0) return tx.upgrade ? { ...state, ...tx.upgrade } : state;
  const stores = new Map(state.stores);
  const store = new Map(stores.get(tx.store) ?? []);
  for (const [key, value] of tx.changes) {
    if (value === null) store.delete(key);
    else store.set(key, value);
  }
  stores.set(tx.store, store);
  return tx.upgrade ? { ...tx.upgrade, stores } : { ...state, stores };
}

const sameState = (a: State, b: State) =>
  a.version === b.version &&
  a.schema === b.schema &&
  [...new Set([...a.stores.keys(), ...b.stores.keys()])].every((name) => {
    const x = a.stores.get(name) ?? new Map<string, string>();
    const y = b.stores.get(name) ?? new Map<string, string>();
    return x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);
  });

/** A readwrite transaction on `store`, its changes recorded as its requests succeed. */
function transact(
  db: IDBDatabase,
  name: string,
  inFlight: Set<Tx>,
  body: (store: IDBObjectStore, note: (key: IDBValidKey, value: unknown) => void, done: () => void) => void,
) {
  const idbTx = db.transaction(name, "readwrite");
  const tx: Tx = { store: name, changes: new Map(), ready: false };
  inFlight.add(tx);
  body(
    idbTx.objectStore(name),
    (key, value) => tx.changes.set(JSON.stringify(key), value === undefined ? null : JSON.stringify(value)),
    () => (tx.ready = true),
  );
  return { tx, done: finished(idbTx) };
}

interface WalkResult extends WalkOutcome {
  steps: number;
  images: number;
  snapshots: number;
  transactions: number;
}

async function walk(ignoreSyncFrom?: RegExp, stopAtFirstFailure = false): Promise<WalkResult> {
  const disk = new PowerCutDisk(new Map(), ignoreSyncFrom ? { ignoreSyncFrom } : {});
  const storage = await OriginStorage.open({ path: PATH, quota: QUOTA, fileSystem: disk });
  let acked: State = { version: 0, schema: "[]", stores: new Map() };
  let maxKey = 0;
  const inFlight = new Set<Tx>();
  const pending: { acked: State; maxKey: number; ready: Tx[]; images: ReturnType<PowerCutDisk["images"]> }[] = [];
  const result: WalkResult = { steps: 0, images: 0, snapshots: 0, transactions: 0, syncs: disk.syncs, failures: [] };
  disk.beforeStep = () => {
    result.steps++;
    pending.push({ acked, maxKey, ready: [...inFlight].filter((tx) => tx.ready), images: disk.images() });
  };
  const commit = async (tx: Tx, done: Promise<void>) => {
    await done;
    inFlight.delete(tx);
    acked = apply(acked, tx);
    result.transactions++;
    for (const key of tx.changes.keys()) if (tx.store === "outbox") maxKey = Math.max(maxKey, Number(key));
  };
  const check = async () => {
    for (const { acked, maxKey, ready, images } of pending.splice(0)) {
      for (const { variant, image } of images) {
        result.images++;
        const failure = await recover(image, acked, ready, maxKey, variant);
        if (failure) result.failures.push(`step ${result.steps}: ${failure}`);
        if (stopAtFirstFailure && failure) return;
      }
    }
  };

  let db = await upgrade(storage.indexedDB, 1, inFlight, (tx, done) => commit(tx, done));
  for (let turn = 0; turn < TURNS && !(stopAtFirstFailure && result.failures.length > 0); turn++) {
    if (turn === 80 || turn === 160) {
      db.close();
      db = await upgrade(storage.indexedDB, turn === 80 ? 2 : 3, inFlight, (tx, done) => commit(tx, done));
    }
    const work: Promise<void>[] = [];
    // The outbox: messages queued; every fourth turn the oldest ones are sent (deleted by cursor).
    const outbox = transact(db, "outbox", inFlight, (store, note, done) => {
      const body = `message ${turn} `.repeat(20);
      const adds = 1 + (turn % 2);
      let left = adds;
      for (let i = 0; i < adds; i++) {
        const value = { turn, body };
        store.add(value).onsuccess = (e) => {
          const key = (e.target as IDBRequest<number>).result;
          note(key, { ...value, id: key });
          if (--left === 0 && turn % 4 !== 3) done();
        };
      }
      if (turn % 4 !== 3) return;
      let sent = 0;
      store.openCursor().onsuccess = (e) => {
        const cursor = (e.target as IDBRequest<IDBCursorWithValue | null>).result;
        if (cursor === null || sent === 4) return done();
        const key = cursor.primaryKey;
        cursor.delete().onsuccess = () => note(key, undefined);
        sent++;
        cursor.continue();
      };
    });
    work.push(commit(outbox.tx, outbox.done));
    // Settings, in another store at the same time.
    if (turn % 2 === 0) {
      const kv = transact(db, "kv", inFlight, (store, note, done) => {
        const value = { turn, at: new Date(1_700_000_000_000 + turn).toISOString() };
        store.put(value, `setting-${turn % 7}`).onsuccess = () => {
          note(`setting-${turn % 7}`, value);
          done();
        };
      });
      work.push(commit(kv.tx, kv.done));
    }
    await Promise.all(work);
    await check();
  }
  db.close();
  result.snapshots = storage.writes.snapshots;
  await storage.close();
  return result;
}

/** A versionchange to `version`: the schema it leaves, and the record v3 adds in its upgrade. */
async function upgrade(idb: IDBFactory, version: number, inFlight: Set<Tx>, commit: (tx: Tx, done: Promise<void>) => Promise<void>): Promise<IDBDatabase> {
  const open = idb.open("app", version);
  const tx: Tx = { store: "audit", changes: new Map(), ready: false };
  inFlight.add(tx);
  let done!: Promise<void>;
  open.onupgradeneeded = () => {
    const upgradeTx = open.transaction!;
    done = finished(upgradeTx);
    upgradeTo(version)(open.result, upgradeTx);
    tx.upgrade = { version, schema: schemaOf(open.result, upgradeTx) };
    if (version === 3) {
      const value = { kind: "schema", version };
      upgradeTx.objectStore("audit").add(value).onsuccess = (e) => {
        tx.changes.set(JSON.stringify((e.target as IDBRequest).result), JSON.stringify(value));
        tx.ready = true;
      };
    } else tx.ready = true;
  };
  const db = await request(open);
  await commit(tx, done);
  return db;
}

/** Load `image` with a fresh OriginStorage and check it; then one more transaction must survive a reload. */
async function recover(image: DiskImage, acked: State, ready: Tx[], maxKey: number, variant: CrashVariant): Promise<string | undefined> {
  if (acked.version === 0) return undefined; // nothing acknowledged yet
  const lines: string[] = [];
  const disk = new PowerCutDisk(image);
  const storage = await OriginStorage.open({ path: PATH, quota: QUOTA, fileSystem: disk, log: (l) => lines.push(l) });
  const where = `${variant.data} data, ${variant.names} names`;
  const db = await openDb(storage.indexedDB);
  const got = await read(db);
  // Whole or nothing: the acknowledged state, plus any of the transactions still committing.
  let allowed = [acked];
  for (const tx of ready) allowed = allowed.flatMap((s) => [s, apply(s, tx)]);
  if (!allowed.some((s) => sameState(s, got))) {
    db.close();
    return `${where}: recovered version ${got.version} with ${[...got.stores].map(([n, s]) => `${n}: ${s.size}`).join(", ")}; acknowledged version ${acked.version} with ${[...acked.stores].map(([n, s]) => `${n}: ${s.size}`).join(", ")} (${lines.join("; ")})`;
  }
  const tx = db.transaction("outbox", "readwrite");
  const key = await request(tx.objectStore("outbox").add({ turn: -1, body: "after the recovery" }));
  await finished(tx);
  db.close();
  if (Number(key) <= maxKey) return `${where}: the key generator gave ${String(key)} again (acknowledged up to ${maxKey})`;
  await storage.close();
  const durable = disk.images().find((i) => i.variant.data === "kept" && i.variant.names === "kept")!.image;
  const again = await OriginStorage.open({ path: PATH, quota: QUOTA, fileSystem: new PowerCutDisk(durable) });
  const reread = await read(await openDb(again.indexedDB));
  await again.close();
  if (!reread.stores.get("outbox")?.has(JSON.stringify(key))) return `${where}: a transaction after the recovery was lost`;
  return undefined;
}

t.test("a power cut before any step of a worker's IndexedDB workload loses no completed transaction", async (t) => {
  const result = await walk();
  t.ok(result.steps > 500, `${result.steps} steps, ${result.images} images recovered, ${result.transactions} transactions completed`);
  t.ok(result.snapshots >= 2, `the journal was compacted ${result.snapshots - 1} times`);
  t.same(result.failures.slice(0, 3), [], "every image held every completed transaction, whole");
  t.equal(result.syncs.ignored, 0, `${result.syncs.done} fsyncs, none ignored`);
});

// The test of the test: each fsync of the journal, ignored by a lying disk, loses a completed transaction.
const FSYNCS: [string, RegExp][] = [
  ["the append's fsync", /^\s*at (async )?IndexedDBJournal\.#append/],
  ["the snapshot's fsync", /^\s*at (async )?IndexedDBJournal\.#startLog/],
  ["the directory's fsync after the rename", /^\s*at (async )?syncDirectory[^\n]*\n\s*at (async )?IndexedDBJournal\.#startLog/],
];
eachIgnoredFsyncLoses(t, FSYNCS, (site) => walk(site, true));
