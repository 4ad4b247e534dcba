// The file store on real files in a temporary directory: round trips, the alternation of the
// two slots, group commit, no write without a change, and real write failures (a directory or
// /dev/full where a slot should be: both fail as root too).
import t from "tap";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "../../agent/node/file-store.js";
import { crc32 } from "../../agent/node/crc32.js";
import { storeKey, type StoredRegistration } from "../../agent/store.js";

function reg(i: number, attempts = 0): StoredRegistration {
  const periodic = i % 3 === 0;
  return {
    scope: `https://app${i % 4}.example/`, tag: `tag-${i}-é✓`, kind: periodic ? "periodic" : "one-shot",
    attempts, maxAttempts: 3, delayUntil: attempts ? 1_700_000_000_000 + i : 0,
    anchorOrExpiry: 1_700_000_000_000 + 1000 * i, minInterval: periodic ? 60_000 * (i + 1) : 0,
    unmeteredOnly: i % 2 === 0, allowOnBattery: i % 5 !== 0,
  };
}
function snapshot(n: number, attempts = 0): Map<string, StoredRegistration> {
  const m = new Map<string, StoredRegistration>();
  for (let i = 0; i < n; i++) m.set(storeKey(reg(i, attempts)), reg(i, attempts));
  return m;
}
function tempBase(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "syncward-store-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "state");
}
/** The generation in a slot file's header, or undefined when the file is missing. */
function generationOf(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const b = readFileSync(path);
  return b.readUInt32LE(12) * 2 ** 32 + b.readUInt32LE(8);
}
const stamp = (path: string) => {
  const s = statSync(path, { bigint: true });
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
};

t.test("crc32 matches the standard check value and chains", async (t) => {
  const bytes = Buffer.from("123456789");
  t.equal(crc32(bytes), 0xcbf43926);
  t.equal(crc32(bytes, crc32(bytes, 0, 0, 4), 4), 0xcbf43926);
  t.equal(crc32(new Uint8Array(0)), 0);
});

t.test("a fresh directory loads empty with nothing to report", async (t) => {
  const lines: string[] = [];
  const store = new FileStore({ path: tempBase(t), log: (l) => lines.push(l) });
  const report = await store.load();
  t.equal(report.registrations.size, 0);
  t.same(report.discarded, []);
  t.same(lines, []);
  await store.commit(new Map());
  t.equal(store.writes, 0, "committing the empty state to an empty store writes nothing");
  await store.close();
});

t.test("round trip through a new instance", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  const snap = snapshot(25, 1);
  await a.commit(snap);
  await a.close();
  const b = new FileStore({ path });
  const report = await b.load();
  t.same(report.discarded, []);
  t.same([...report.registrations.entries()], [...snap.entries()], "same keys, same records, same order");
  t.not(report.registrations.get(storeKey(reg(3))), snap.get(storeKey(reg(3))), "fresh objects");
  await b.close();
});

t.test("generations alternate between the slots and continue across instances", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  for (let n = 1; n <= 3; n++) await a.commit(snapshot(n));
  t.equal(a.generation, 3);
  t.equal(generationOf(`${path}.1`), 3);
  t.equal(generationOf(`${path}.0`), 2);
  await a.close();
  const b = new FileStore({ path });
  t.equal((await b.load()).registrations.size, 3);
  await b.commit(snapshot(4));
  t.equal(generationOf(`${path}.0`), 4, "generation 4 goes to slot 0, over generation 2");
  t.equal(generationOf(`${path}.1`), 3, "generation 3 untouched");
  await b.close();
  const c = new FileStore({ path });
  t.equal((await c.load()).registrations.size, 4);
  await c.close();
});

t.test("the first write to a slot creates it; the other slot does not exist yet", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.commit(snapshot(1)); // without load(): the store scans first by itself
  t.equal(generationOf(`${path}.1`), 1);
  t.equal(generationOf(`${path}.0`), undefined);
  await a.close();
});

t.test("no write when nothing changed", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  await a.commit(snapshot(5));
  await a.commit(snapshot(6));
  const before = [stamp(`${path}.0`), stamp(`${path}.1`)];
  const writes = a.writes;
  await a.commit(snapshot(6)); // equal content, fresh objects
  await new Promise((r) => setTimeout(r, 20));
  t.equal(a.writes, writes, "no write");
  t.same([stamp(`${path}.0`), stamp(`${path}.1`)], before, "inode, size, mtime and ctime unchanged");
  await a.close();
  const b = new FileStore({ path });
  await b.load();
  await b.commit(snapshot(6));
  t.equal(b.writes, 0, "not after a reload either");
  t.same([stamp(`${path}.0`), stamp(`${path}.1`)], before);
  await b.commit(snapshot(6, 1));
  t.equal(b.writes, 1, "a changed field is written");
  await b.close();
});

t.test("a burst of 100 commits shares one write; the latest snapshot wins", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  const commits: Promise<void>[] = [];
  for (let n = 1; n <= 100; n++) commits.push(a.commit(snapshot(n)));
  await Promise.all(commits);
  t.ok(a.writes <= 3, `writes: ${a.writes}`);
  t.ok(a.generation <= 3, `generation advanced to ${a.generation}`);
  const onDisk = Math.max(generationOf(`${path}.0`) ?? 0, generationOf(`${path}.1`) ?? 0);
  t.ok(onDisk >= 1 && onDisk <= 3, `generation on disk: ${onDisk}`);
  await a.close();
  const b = new FileStore({ path });
  t.equal((await b.load()).registrations.size, 100);
  await b.close();
});

t.test("commits arriving while a write is in flight share the next write", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path, groupCommitWindowMs: 0 });
  await a.load();
  const first = a.commit(snapshot(1));
  await new Promise((r) => setTimeout(r, 3)); // the first write is under way or done
  const later: Promise<void>[] = [];
  for (let n = 2; n <= 50; n++) later.push(a.commit(snapshot(n)));
  await Promise.all([first, ...later]);
  t.ok(a.writes <= 3, `writes: ${a.writes}`);
  await a.close();
  const b = new FileStore({ path });
  t.equal((await b.load()).registrations.size, 50);
  await b.close();
});

t.test("close flushes what is pending; commit after close rejects", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path, groupCommitWindowMs: 10_000 });
  await a.load();
  const pending = a.commit(snapshot(7));
  await a.close();
  await pending;
  await t.rejects(a.commit(snapshot(8)), /after close/);
  const b = new FileStore({ path });
  t.equal((await b.load()).registrations.size, 7);
  await b.close();
});

t.test("an invalid snapshot is refused and the durable state stands", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  await a.commit(snapshot(2));
  const bad = snapshot(3);
  bad.set(storeKey(reg(2)), { ...reg(2), attempts: 3 });
  await t.rejects(a.commit(bad), /attempts/);
  const wrongKey = new Map([["nope", reg(0)]]);
  await t.rejects(a.commit(wrongKey), /storeKey/);
  t.equal(a.generation, 1);
  await a.commit(snapshot(3));
  await a.close();
  const b = new FileStore({ path });
  t.equal((await b.load()).registrations.size, 3);
  await b.close();
});

t.test("a failed write (EISDIR) rejects, keeps the previous generation, and the next commit retries", async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  await a.commit(snapshot(1)); // generation 1, slot 1
  await a.commit(snapshot(2)); // generation 2, slot 0
  rmSync(`${path}.1`);
  mkdirSync(`${path}.1`); // generation 3 would go here
  await t.rejects(a.commit(snapshot(3)), { code: "EISDIR" });
  t.equal(a.generation, 2);

  const lines: string[] = [];
  const b = new FileStore({ path, log: (l) => lines.push(l) });
  const report = await b.load();
  t.equal(report.registrations.size, 2, "generation 2 stands");
  t.equal(report.discarded.length, 1);
  t.match(report.discarded[0], /state\.1: not a regular file; using generation 2/);
  t.same(lines, report.discarded, "the log gets the same lines");

  rmSync(`${path}.1`, { recursive: true });
  await a.commit(snapshot(3));
  t.equal(a.generation, 3, "the retry writes generation 3");
  await a.close();
  const c = new FileStore({ path });
  const after = await c.load();
  t.equal(after.registrations.size, 3);
  t.same(after.discarded, []);
  await c.close();
});

t.test("a failed write (ENOSPC from /dev/full) rejects and keeps the previous generation", { skip: !existsSync("/dev/full") }, async (t) => {
  const path = tempBase(t);
  const a = new FileStore({ path });
  await a.load();
  await a.commit(snapshot(4)); // generation 1, slot 1
  symlinkSync("/dev/full", `${path}.0`); // generation 2 would go here
  await t.rejects(a.commit(snapshot(5)), { code: "ENOSPC" });
  await t.rejects(a.commit(snapshot(6)), { code: "ENOSPC" }, "still failing, cleanly");
  t.equal(a.generation, 1);
  const b = new FileStore({ path });
  const report = await b.load();
  t.equal(report.registrations.size, 4, "generation 1 stands");
  t.equal(report.discarded.length, 1);
  // b replaces what is in the way at its first write (a knows nothing of it and keeps failing).
  await b.commit(snapshot(6));
  t.equal(b.generation, 2);
  t.notOk(statSync(`${path}.0`, { throwIfNoEntry: false })?.isCharacterDevice(), "the symlink was replaced by a file");
  t.ok(statSync("/dev/full").isCharacterDevice(), "/dev/full itself untouched");
  await b.close();
  await a.close();
  const c = new FileStore({ path });
  const after = await c.load();
  t.equal(after.registrations.size, 6);
  t.same(after.discarded, []);
  await c.close();
});

t.test("a slot that cannot be opened (symlink loop) is reported, then replaced by the next write", async (t) => {
  const path = tempBase(t);
  symlinkSync(`${path}.0`, `${path}.0`); // ELOOP
  writeFileSync(`${path}.1`, "garbage");
  const a = new FileStore({ path });
  const report = await a.load();
  t.equal(report.registrations.size, 0);
  t.equal(report.discarded.length, 2);
  t.match(report.discarded[0], /cannot open it \(ELOOP\); no valid snapshot left/);
  await a.commit(new Map()); // unchanged (empty), but the damaged slots are rewritten
  t.equal(a.writes, 2, "both slots rewritten");
  await a.close();
  const b = new FileStore({ path });
  const after = await b.load();
  t.same(after.discarded, []);
  t.equal(after.registrations.size, 0);
  t.equal(b.generation, 2);
  await b.close();
});

t.test("a commit without load on a damaged store still reports through log", async (t) => {
  const path = tempBase(t);
  writeFileSync(`${path}.0`, "SWRD");
  const lines: string[] = [];
  const a = new FileStore({ path, log: (l) => lines.push(l) });
  await a.commit(snapshot(1));
  t.equal(lines.length, 1);
  t.match(lines[0], /truncated/);
  await a.close();
});
