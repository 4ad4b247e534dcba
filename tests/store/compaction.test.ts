// Compaction: after many overwrites the log is rewritten as a snapshot of the live records and
// shrinks; a crash at each step of it (snapshot partly written, written but not renamed,
// renamed) loses nothing; a compaction that cannot be written costs nothing acknowledged.
import t from "tap";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { COMPACT_MIN_BYTES, FileStore } from "../../agent/node/file-store.js";
import { storeKey } from "../../agent/store.js";
import { HEADER, flat, put, putRecord, puts, reg, reload, tempBase } from "./store-fixtures.js";

const snapshotOf = (state: Map<string, ReturnType<typeof reg>>) => Buffer.concat([HEADER, ...[...state.values()].map(putRecord)]);

t.test("after many overwrites the log is compacted: it shrinks and keeps the latest records", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(puts(50));
  const sizes: number[] = [];
  for (let round = 0; round < 60; round++) {
    for (let i = 0; i < 50; i++) await store.commit(put(reg(i, (round + i) % 3)));
    sizes.push(statSync(`${path}.log`).size);
  }
  const expected = new Map([...puts(50).keys()].map((key, i) => [key, reg(i, (59 + i) % 3)]));
  t.ok(store.snapshots >= 2, `${store.snapshots} compactions`);
  t.ok(Math.max(...sizes) <= COMPACT_MIN_BYTES + 50 * 100, `the log stays under the threshold plus one round: ${Math.max(...sizes)} bytes`);
  t.ok(
    sizes.some((size, i) => i > 0 && size < sizes[i - 1]!),
    "it shrank",
  );
  await store.close();
  const report = await reload(path);
  t.same(report.discarded, []);
  t.equal(flat(report.registrations), flat(expected));
  t.notOk(existsSync(`${path}.log.tmp`), "no temporary file left");
});

t.test("a compacted log is exactly the snapshot of the live records, then the appends", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(puts(10));
  const big = { ...reg(3), tag: "t".repeat(COMPACT_MIN_BYTES) };
  await store.commit(put(big));
  await store.commit(new Map([[storeKey(big), null]])); // now the log is mostly dead bytes: compaction follows
  await store.commit(put(reg(20))); // waits for the compaction, then goes to the new log
  await store.close();
  t.equal(store.snapshots, 2, "the creation and one compaction");
  t.same(readFileSync(`${path}.log`), Buffer.concat([snapshotOf(puts(10)), putRecord(reg(20))]));
});

t.test("a crash at each step of a compaction loses nothing", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  for (let round = 0; round < 5; round++) await store.commit(puts(30, round % 3));
  await store.close();
  const log = readFileSync(`${path}.log`);
  const state = puts(30, 4 % 3);
  const snapshot = snapshotOf(state);
  const steps: [string, () => void][] = [];
  for (const cut of [0, 5, 8, 100, snapshot.length - 1]) {
    steps.push([`snapshot written up to byte ${cut}, not renamed`, () => writeFileSync(`${path}.log.tmp`, snapshot.subarray(0, cut))]);
  }
  steps.push(["snapshot written whole, not renamed", () => writeFileSync(`${path}.log.tmp`, snapshot)]);
  steps.push(["snapshot renamed over the log", () => writeFileSync(`${path}.log`, snapshot)]);
  for (const [name, crash] of steps) {
    writeFileSync(`${path}.log`, log);
    crash();
    const report = await reload(path);
    t.equal(flat(report.registrations), flat(state), `${name}: everything there`);
    t.same(report.discarded, [], `${name}: nothing to report`);
    t.notOk(existsSync(`${path}.log.tmp`), `${name}: the temporary file is removed`);
  }
});

t.test("a compaction that cannot be written is logged and retried after the next write; commits go on", async (t) => {
  const path = tempBase(t);
  const lines: string[] = [];
  const store = new FileStore({ path, log: (l) => lines.push(l) });
  await store.load();
  await store.commit(puts(10));
  mkdirSync(`${path}.log.tmp`); // the snapshot cannot be created
  const big = { ...reg(3), tag: "t".repeat(COMPACT_MIN_BYTES) };
  await store.commit(put(big));
  await store.commit(new Map([[storeKey(big), null]]));
  await store.commit(put(reg(20))); // waits for the compaction attempt after the delete
  t.match(lines, [/could not compact .*state\.log \(EISDIR\)/]);
  t.equal(store.snapshots, 1, "only the creation");
  rmSync(`${path}.log.tmp`, { recursive: true });
  await store.commit(put(reg(21)));
  await store.commit(new Map()); // waits for the compaction after it
  t.equal(store.snapshots, 2, "compacted once possible");
  await store.close();
  const expected = puts(10);
  expected.set(storeKey(reg(20)), reg(20));
  expected.set(storeKey(reg(21)), reg(21));
  const report = await reload(path);
  t.equal(flat(report.registrations), flat(expected));
  t.same(report.discarded, []);
});
