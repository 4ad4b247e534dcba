// Damaged journals: cut at every byte, and with every byte flipped. Loading never throws; a
// cut keeps exactly the transactions whose frames are whole (a prefix) and logs a torn tail
// unless it fell between frames; a flipped byte costs exactly the transaction whose frame it
// hit (logged), or nothing but a line if it hit the file header; and the storage goes on.
import t from "tap";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OriginStorage } from "../../agent/node/origin-storage.js";
import { finished, request } from "./idb-promises.js";

const TRANSACTIONS = 12;
const QUOTA = 1 << 30;

async function openNotes(storage: OriginStorage): Promise<IDBDatabase> {
  const open = storage.indexedDB.open("notes", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("notes");
  return request(open);
}

async function add(db: IDBDatabase, key: number): Promise<void> {
  const tx = db.transaction("notes", "readwrite");
  tx.objectStore("notes").put(`note ${key} ${"·".repeat(key * 3)}`, key);
  await finished(tx);
}

/** The keys a journal holds, the lines its loading logged, and whether a commit after it survives. */
async function load(path: string, bytes: Buffer): Promise<{ keys: number[]; lines: string[]; goesOn: boolean }> {
  await writeFile(path, bytes);
  const lines: string[] = [];
  const storage = await OriginStorage.open({ path, quota: QUOTA, log: (l) => lines.push(l) });
  const db = await openNotes(storage);
  const keys = (await request(db.transaction("notes").objectStore("notes").getAllKeys())) as number[];
  await add(db, 1000);
  db.close();
  await storage.close();
  const again = await OriginStorage.open({ path, quota: QUOTA });
  const reread = await openNotes(again);
  const goesOn = (await request(reread.transaction("notes").objectStore("notes").get(1000))) !== undefined;
  reread.close();
  await again.close();
  return { keys, lines, goesOn };
}

t.test("a journal cut at every byte, and with every byte flipped", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-idb-damage-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "origin.idb");
  const storage = await OriginStorage.open({ path, quota: QUOTA });
  const db = await openNotes(storage);
  /** Journal size after the upgrade (boundaries[0]) and after each transaction k (boundaries[k]). */
  const boundaries = [(await storage.estimate()).usage];
  for (let k = 1; k <= TRANSACTIONS; k++) {
    await add(db, k);
    boundaries.push((await storage.estimate()).usage);
  }
  db.close();
  await storage.close();
  const journal = await readFile(path);
  t.equal(journal.length, boundaries[TRANSACTIONS], `${journal.length} bytes, ${TRANSACTIONS + 1} frames`);
  const work = join(dir, "damaged.idb");
  const upTo = (m: number) => Array.from({ length: m }, (_, i) => i + 1);

  const cutFailures: string[] = [];
  for (let length = 0; length < journal.length; length++) {
    const { keys, lines, goesOn } = await load(work, journal.subarray(0, length));
    const whole = boundaries.filter((b) => b <= length).length - 1; // transactions whose frames are whole
    const expected = upTo(Math.max(0, whole));
    const atBoundary = length === 8 || boundaries.includes(length); // 8: the header alone, an empty journal
    if (JSON.stringify(keys) !== JSON.stringify(expected)) cutFailures.push(`cut at ${length}: ${JSON.stringify(keys)}`);
    if (atBoundary !== (lines.length === 0) && length > 0) cutFailures.push(`cut at ${length}: lines ${JSON.stringify(lines)}`);
    if (!goesOn) cutFailures.push(`cut at ${length}: a commit after it was lost`);
  }
  t.same(cutFailures.slice(0, 3), [], `cut at each of ${journal.length} bytes: the whole transactions kept, a torn one logged`);

  const flipFailures: string[] = [];
  for (let at = 0; at < journal.length; at++) {
    const flipped = Buffer.from(journal);
    flipped[at]! ^= 0x5a;
    const { keys, lines, goesOn } = await load(work, flipped);
    const frame = boundaries.findIndex((b) => at < b); // 0: the header or the upgrade's frame
    const expected = at < 8 ? upTo(TRANSACTIONS) : frame === 0 ? [] : upTo(TRANSACTIONS).filter((k) => k !== frame);
    if (JSON.stringify(keys) !== JSON.stringify(expected)) flipFailures.push(`flip at ${at}: ${JSON.stringify(keys)}`);
    if (lines.length === 0) flipFailures.push(`flip at ${at}: nothing logged`);
    if (!goesOn) flipFailures.push(`flip at ${at}: a commit after it was lost`);
  }
  t.same(flipFailures.slice(0, 3), [], `each of ${journal.length} bytes flipped: only the hit transaction lost, and logged`);
});

t.test("a skipped transaction that leaves two records under one unique index key: one is left out, logged", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-idb-unique-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "origin.idb");
  const storage = await OriginStorage.open({ path, quota: QUOTA });
  const open = storage.indexedDB.open("shop", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("items").createIndex("bySku", "sku", { unique: true });
  const db = await request(open);
  const put = async (key: string, sku: number) => {
    const tx = db.transaction("items", "readwrite");
    tx.objectStore("items").put({ sku }, key);
    await finished(tx);
    return (await storage.estimate()).usage;
  };
  await put("x", 1);
  const beforeMove = (await storage.estimate()).usage;
  await put("x", 2); // x moves to sku 2 …
  await put("y", 1); // … so y may take sku 1
  db.close();
  await storage.close();
  const journal = await readFile(path);
  journal[beforeMove + 10]! ^= 0xff; // the move is lost
  await writeFile(path, journal);
  const lines: string[] = [];
  const reloaded = await OriginStorage.open({ path, quota: QUOTA, log: (l) => lines.push(l) });
  const again = await request(reloaded.indexedDB.open("shop", 1));
  const items = again.transaction("items").objectStore("items");
  const [keys, bySku] = await Promise.all([request(items.getAllKeys()), request(items.index("bySku").getAllKeys())]);
  t.same({ keys, bySku }, { keys: ["x"], bySku: ["x"] }, "the store and its index agree: x, with sku 1");
  t.match(lines.join("\n"), /left out record "y" of "shop"\/"items": ConstraintError/);
  again.close();
  await reloaded.close();
});
