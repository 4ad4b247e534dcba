// The file store on real files in a temporary directory: the log's format, round trips with
// puts, overwrites and deletes, group commit (without a timer, and durable before resolving),
// and what lies in the log's place. Write failures: write-failure.test.ts; damage:
// corruption.test.ts; compaction and migration: their own files.
import t from "tap";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { open } from "node:fs/promises";
import { FileStore } from "../../agent/node/file-store.js";
import { crc32 } from "../../agent/node/crc32.js";
import { replayLog } from "../../agent/node/store-log-replay.js";
import { storeKey, type StoredRegistration } from "../../agent/store.js";
import { HEADER, del, deleteRecord, flat, put, putRecord, puts, reg, reload, tempBase } from "./store-fixtures.js";

t.test("crc32 matches the standard check value and chains", async (t) => {
  const bytes = Buffer.from("123456789");
  t.equal(crc32(bytes), 0xcbf43926);
  t.equal(crc32(bytes, crc32(bytes, 0, 0, 4), 4), 0xcbf43926);
  t.equal(crc32(new Uint8Array(0)), 0);
});

t.test("a fresh directory loads empty, and committing nothing creates nothing", async (t) => {
  const path = tempBase(t);
  const lines: string[] = [];
  const store = new FileStore({ path, log: (l) => lines.push(l) });
  const report = await store.load();
  t.equal(report.registrations.size, 0);
  t.same(report.discarded, []);
  await store.commit(new Map());
  await store.commit(del(reg(1)));
  t.equal(store.writes, 0, "no write");
  t.notOk(existsSync(`${path}.log`), "no file");
  await store.close();
  t.same(lines, []);
});

t.test("the log holds the documented records, one per change", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(put(reg(1)));
  await store.commit(
    new Map([
      [storeKey(reg(2)), reg(2)],
      [storeKey(reg(1)), null],
    ]),
  );
  await store.close();
  const expected = Buffer.concat([HEADER, putRecord(reg(1)), putRecord(reg(2)), deleteRecord(storeKey(reg(1)))]);
  t.same(readFileSync(`${path}.log`), expected);
});

t.test("puts, overwrites and deletes round trip through a new instance", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  await a.commit(puts(25));
  await a.commit(put(reg(3, 2)));
  await a.commit(
    new Map([
      [storeKey(reg(4)), null],
      [storeKey(reg(30, 1)), reg(30, 1)],
    ]),
  );
  await a.commit(del(reg(5)));
  await a.close();
  const expected = puts(25);
  expected.set(storeKey(reg(3)), reg(3, 2));
  expected.delete(storeKey(reg(4)));
  expected.delete(storeKey(reg(5)));
  expected.set(storeKey(reg(30, 1)), reg(30, 1));
  const report = await reload(path);
  t.same(report.discarded, []);
  t.equal(flat(report.registrations), flat(expected), "same keys, same records, same order");
  const b = new FileStore({ path });
  const first = await b.load();
  t.not(first.registrations.get(storeKey(reg(3))), (await b.load()).registrations.get(storeKey(reg(3))), "fresh objects at each load");
  await b.commit(put(reg(4, 1)));
  await b.close();
  t.equal((await reload(path)).registrations.get(storeKey(reg(4)))?.attempts, 1, "a deleted key comes back with a new put");
});

t.test("the store keeps its own copies: the caller may reuse its objects", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  const r = reg(1);
  const changes = new Map([[storeKey(r), r]]);
  const done = store.commit(changes);
  r.attempts = 2;
  changes.clear();
  await done;
  await store.close();
  t.equal((await reload(path)).registrations.get(storeKey(reg(1)))?.attempts, 0);
});

t.test("5,000 keys in 50 commits, then half deleted", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  const all = puts(5000);
  const entries = [...all];
  for (let i = 0; i < 50; i++) await a.commit(new Map(entries.slice(i * 100, i * 100 + 100)));
  await a.commit(new Map(entries.filter((_, i) => i % 2 === 0).map(([key]) => [key, null])));
  await a.close();
  const report = await reload(path);
  t.equal(report.registrations.size, 2500);
  t.equal(flat(report.registrations), flat(new Map(entries.filter((_, i) => i % 2 === 1))));
});

t.test("a put equal to the stored record and the delete of an absent key write nothing", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  await a.commit(puts(6));
  const size = statSync(`${path}.log`).size;
  await a.commit(puts(6)); // equal content, fresh objects
  await a.commit(del(reg(40)));
  t.equal(a.writes, 1);
  await a.close();
  const b = new FileStore({ path });
  await b.load();
  await b.commit(puts(6));
  t.equal(b.writes, 0, "not after a reload either");
  t.equal(statSync(`${path}.log`).size, size);
  await b.commit(put(reg(2, 1)));
  t.equal(b.writes, 1, "a changed field is written");
  await b.close();
});

t.test("100 concurrent commits share one write, and each resolves only once its data is fsynced", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(put(reg(1000))); // the log exists: the writes below are appends only
  // Watch every fsync of the log: what was in the file when it returned is durable.
  const probe = await open(`${path}.log`);
  const FileHandle = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  const sync = FileHandle.sync;
  let durable = Buffer.alloc(0);
  FileHandle.sync = async function (this: unknown) {
    await sync.call(this);
    durable = readFileSync(`${path}.log`);
  };
  t.teardown(() => void (FileHandle.sync = sync));
  const failures: string[] = [];
  const commits = Array.from({ length: 100 }, (_, i) =>
    store.commit(put(reg(i))).then(() => {
      if (!replayLog(durable).live.has(storeKey(reg(i)))) failures.push(`commit ${i} resolved before its record was fsynced`);
    }),
  );
  await Promise.all(commits);
  t.equal(store.writes - 1, 1, "one write for the synchronous burst");
  t.same(failures, []);
  await store.close();
  t.equal((await reload(path)).registrations.size, 101);
});

t.test("commits arriving while a write is in flight are merged into the next one, the later change winning", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  const first = store.commit(puts(3));
  await new Promise((r) => setImmediate(r)); // the first write is under way
  const later: Promise<void>[] = [];
  for (let v = 1; v <= 2; v++) later.push(store.commit(put(reg(0, v))));
  later.push(store.commit(del(reg(1))), store.commit(put(reg(1, 1))), store.commit(put(reg(7))), store.commit(del(reg(7))));
  await Promise.all([first, ...later]);
  t.ok(store.writes <= 2, `writes: ${store.writes}`);
  await store.close();
  const expected = new Map([
    [storeKey(reg(0)), reg(0, 2)],
    [storeKey(reg(1)), reg(1, 1)],
    [storeKey(reg(2)), reg(2)],
  ]);
  t.equal(flat((await reload(path)).registrations), flat(expected));
});

t.test("a lone commit is written at once: no timer is involved", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(put(reg(0)));
  const timers = { setTimeout, setInterval, setImmediate };
  const armed: string[] = [];
  for (const name of Object.keys(timers) as (keyof typeof timers)[]) {
    (globalThis as Record<string, unknown>)[name] = () => {
      armed.push(name);
      throw new Error(`${name} called`);
    };
  }
  try {
    for (let i = 1; i <= 5; i++) await store.commit(put(reg(i)));
  } finally {
    Object.assign(globalThis, timers);
  }
  t.same(armed, [], "no timer armed");
  t.equal(store.writes, 6, "each commit had its own write");
  await store.close();
});

t.test("close flushes what is pending; commit and load after close reject", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  const pending = store.commit(puts(7));
  await store.close();
  await pending;
  await t.rejects(store.commit(puts(8)), /after close/);
  await t.rejects(store.load(), /after close/);
  t.equal((await reload(path)).registrations.size, 7);
});

t.test("invalid records are refused with nothing written; the commit after works", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(puts(2));
  const size = statSync(`${path}.log`).size;
  const bad = puts(3);
  bad.set(storeKey(reg(2)), { ...reg(2), attempts: 3 });
  await t.rejects(store.commit(bad), /attempts/);
  await t.rejects(store.commit(new Map([["nope", reg(0)]])), /storeKey/);
  const huge = { ...reg(0), tag: "x".repeat(1024 * 1024) };
  await t.rejects(store.commit(new Map([[storeKey(huge), huge]])), /more than 1048576 bytes/);
  await t.rejects(store.commit(new Map([[storeKey(reg(0)), "nope" as unknown as StoredRegistration]])), /not an object/);
  t.equal(statSync(`${path}.log`).size, size, "nothing written");
  await store.commit(puts(3));
  await store.close();
  t.equal((await reload(path)).registrations.size, 3);
});

t.test("a commit without load loads first, and reports through log", async (t) => {
  const path = tempBase(t);
  const first = new FileStore({ path });
  await first.commit(puts(2));
  await first.close();
  const lines: string[] = [];
  const second = new FileStore({ path, log: (l) => lines.push(l) });
  await second.commit(put(reg(5)));
  await second.close();
  t.same(lines, []);
  t.equal((await reload(path)).registrations.size, 3, "the earlier records were loaded, not overwritten");
});

t.test("a log that is not a regular file is reported, then replaced by a file", { skip: !existsSync("/dev/full") }, async (t) => {
  const path = tempBase(t);
  symlinkSync("/dev/full", `${path}.log`);
  const lines: string[] = [];
  const store = new FileStore({ path, log: (l) => lines.push(l) });
  const report = await store.load();
  t.equal(report.registrations.size, 0);
  t.match(report.discarded, [/state\.log: not a regular file; starting empty/]);
  t.same(lines, report.discarded, "the log gets the same lines");
  t.ok(statSync(`${path}.log`).isFile(), "the symlink was replaced at load");
  t.ok(statSync("/dev/full").isCharacterDevice(), "/dev/full itself untouched");
  await store.commit(puts(2));
  await store.close();
  const after = await reload(path);
  t.equal(after.registrations.size, 2);
  t.same(after.discarded, []);
});

t.test("a directory in the log's place: load reports it, commits reject until it is gone", async (t) => {
  const path = tempBase(t);
  mkdirSync(`${path}.log`);
  const lines: string[] = [];
  const store = new FileStore({ path, log: (l) => lines.push(l) });
  const report = await store.load();
  t.match(report.discarded, [/not a regular file/]);
  t.match(lines.at(-1), /could not write .*state\.log \(EISDIR\)/);
  await t.rejects(store.commit(puts(1)), { code: "EISDIR" });
  rmSync(`${path}.log`, { recursive: true });
  await store.commit(puts(2));
  await store.close();
  t.equal((await reload(path)).registrations.size, 2);
});
