// A commit the disk refuses (a full disk) or that would pass the origin's quota aborts its
// transaction with the spec's error, rolls it back in memory too, logs one line, and the next
// transaction commits and survives a reload: nothing acknowledged is lost, nothing refused
// comes back.
import t, { type Test } from "tap";
import { request } from "./idb-promises.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OriginStorage } from "../../agent/node/origin-storage.js";
import { nodeFileSystem, type StoreFileSystem } from "../../agent/node/store-file-system.js";

/** Put `value` under `key`; resolves to how the transaction ended. */
function put(db: IDBDatabase, key: string, value: unknown): Promise<string> {
  const tx = db.transaction("kv", "readwrite");
  tx.objectStore("kv").put(value, key);
  return new Promise((resolve) => {
    tx.oncomplete = () => resolve("complete");
    tx.onabort = () => resolve(`abort ${tx.error?.name}`);
  });
}

async function openKv(storage: OriginStorage): Promise<IDBDatabase> {
  const open = storage.indexedDB.open("app", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("kv");
  return request(open);
}

const keys = async (db: IDBDatabase) => (await request(db.transaction("kv").objectStore("kv").getAllKeys())).join(",");

/** A fresh origin's storage with its "kv" store open, closed when the test ends; `lines` gets its log. */
async function kvStorage(t: Test, options: { quota?: number; fileSystem?: StoreFileSystem } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "syncward-idb-failure-"));
  const lines: string[] = [];
  const path = join(dir, "origin.idb");
  const storage = await OriginStorage.open({ path, quota: options.quota ?? 1 << 30, fileSystem: options.fileSystem, log: (l) => lines.push(l) });
  const db = await openKv(storage);
  t.teardown(async () => {
    db.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { path, lines, db };
}

t.test("a full disk aborts the transaction with UnknownError; the next one commits", async (t) => {
  let full = false;
  const fileSystem: StoreFileSystem = {
    ...nodeFileSystem,
    open: async (path, mode) => {
      const file = await nodeFileSystem.open(path, mode);
      const write = file.write.bind(file);
      file.write = async (...args) => {
        if (full) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return write(...args);
      };
      return file;
    },
  };
  const { path, lines, db } = await kvStorage(t, { fileSystem });
  t.equal(await put(db, "before", 1), "complete");
  full = true;
  t.equal(await put(db, "refused", 2), "abort UnknownError", "the transaction aborts");
  t.equal(await keys(db), "before", "and is rolled back in memory");
  t.match(lines.join("\n"), /aborted \(UnknownError\): ENOSPC/, "one log line says why");
  full = false;
  t.equal(await put(db, "after", 3), "complete", "the next transaction commits");
  const reloaded = await OriginStorage.open({ path, quota: 1 << 30 });
  const again = await openKv(reloaded);
  t.equal(await keys(again), "after,before", "after a reload: the acknowledged ones, not the refused one");
  again.close();
  await reloaded.close();
});

t.test("past the quota a transaction aborts with QuotaExceededError", async (t) => {
  const { lines, db } = await kvStorage(t, { quota: 10_000 });
  t.equal(await put(db, "small", "x".repeat(1000)), "complete");
  t.equal(await put(db, "large", "x".repeat(20_000)), "abort QuotaExceededError");
  t.equal(await keys(db), "small");
  t.match(lines.join("\n"), /QuotaExceededError/);
});

t.test("Blob values are journaled with their bytes and come back after a reload", async (t) => {
  const { path, lines, db } = await kvStorage(t);
  const value = {
    note: "attached",
    text: new Blob(["blob bytes"], { type: "text/plain" }),
    photo: new File([new Uint8Array([1, 2, 3])], "photo.jpg", { type: "image/jpeg" }),
  };
  t.equal(await put(db, "attachment", value), "complete");
  const reloaded = await OriginStorage.open({ path, quota: 1 << 30 });
  const again = await openKv(reloaded);
  const got = (await request(again.transaction("kv").objectStore("kv").get("attachment"))) as { note: string; text: Blob; photo: Blob };
  t.ok(got.text instanceof Blob && got.photo instanceof Blob, "Blobs again (a File is one already in memory: Node's structured clone)");
  t.match(got, { note: "attached", text: { type: "text/plain", size: 10 }, photo: { type: "image/jpeg", size: 3 } });
  t.equal(await got.text.text(), "blob bytes");
  t.same([...new Uint8Array(await got.photo.arrayBuffer())], [1, 2, 3]);
  t.same(lines, []);
  again.close();
  await reloaded.close();
});

t.test("a value the journal cannot write (a CryptoKey) aborts its transaction with DataCloneError", async (t) => {
  const { lines, db } = await kvStorage(t);
  const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  t.equal(await put(db, "bytes", new Uint8Array([1, 2, 3])), "complete");
  t.equal(await put(db, "key", { key }), "abort DataCloneError");
  t.equal(await keys(db), "bytes", "rolled back");
  t.match(lines.join("\n"), /aborted \(DataCloneError\): Unserializable host object: CryptoKey/);
});
