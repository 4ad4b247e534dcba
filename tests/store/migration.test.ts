// Migration from the two-slot format (version 1): the slot files are written here from that
// format's description. The newest valid generation becomes the log, durably, and then the
// slots are removed; a damaged newer slot falls back to the older one; a crash between writing
// the log and removing the slots leaves the log in charge.
import t from "tap";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { FileStore } from "../../agent/node/file-store.js";
import { HEADER, flat, legacySlot, putRecord, puts, reg, reload, tempBase } from "./store-fixtures.js";
import { storeKey } from "../../agent/store.js";

t.test("the newest generation becomes the log and the slots are removed", async (t) => {
  const path = tempBase(t);
  writeFileSync(`${path}.0`, legacySlot(4, puts(12, 1).values()));
  writeFileSync(`${path}.1`, legacySlot(3, puts(11).values()));
  const first = await reload(path);
  t.equal(flat(first.registrations), flat(puts(12, 1)));
  t.same(first.discarded, []);
  t.match(first.lines, [/migrated 12 registrations/]);
  t.notOk(existsSync(`${path}.0`) || existsSync(`${path}.1`), "slots removed");
  t.same(readFileSync(`${path}.log`), Buffer.concat([HEADER, ...[...puts(12, 1).values()].map(putRecord)]), "the log is their snapshot");
  const second = await reload(path);
  t.equal(flat(second.registrations), flat(puts(12, 1)));
  t.same(second.lines, [], "nothing to migrate or report the second time");
});

t.test("a damaged newer slot falls back to the older one, and says so", async (t) => {
  const path = tempBase(t);
  const newer = legacySlot(6, puts(9, 2).values());
  newer[40]! ^= 0x20;
  writeFileSync(`${path}.0`, newer);
  writeFileSync(`${path}.1`, legacySlot(5, puts(8).values()));
  const report = await reload(path);
  t.equal(flat(report.registrations), flat(puts(8)));
  t.match(report.discarded, [/state\.0: checksum mismatch; migrating generation 5/]);
  t.notOk(existsSync(`${path}.0`) || existsSync(`${path}.1`));
  t.equal(flat((await reload(path)).registrations), flat(puts(8)));
});

t.test("every cut of the newer slot falls back to the older one", async (t) => {
  const path = tempBase(t);
  const newer = legacySlot(2, puts(3, 1).values());
  const older = legacySlot(1, puts(2).values());
  const failures: string[] = [];
  for (let cut = 0; cut < newer.length; cut++) {
    writeFileSync(`${path}.0`, newer.subarray(0, cut));
    writeFileSync(`${path}.1`, older);
    const report = await reload(path);
    if (flat(report.registrations) !== flat(puts(2))) failures.push(`${cut}: wrong registrations`);
    else if (report.discarded.length !== 1) failures.push(`${cut}: ${report.discarded.length} lines`);
    else if (existsSync(`${path}.0`)) failures.push(`${cut}: slot left`);
    rmSync(`${path}.log`); // so that the next round migrates again
  }
  t.same(failures.slice(0, 10), [], `${newer.length} cuts`);
});

t.test("slots that are both unusable: empty, two lines, and the log starts empty", async (t) => {
  const path = tempBase(t);
  writeFileSync(`${path}.0`, "hello\n");
  writeFileSync(`${path}.1`, legacySlot(2, puts(2).values())); // generation 2 belongs in slot 0
  const report = await reload(path);
  t.equal(report.registrations.size, 0);
  t.match(report.discarded, [/state\.0: truncated/, /state\.1: holds generation 2, which belongs in the other slot; no valid snapshot left/]);
  t.ok(existsSync(`${path}.log`));
  t.notOk(existsSync(`${path}.0`) || existsSync(`${path}.1`));
});

t.test("slots still there beside a log (a crash after the migration wrote it) are removed, unread", async (t) => {
  const path = tempBase(t);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(puts(4));
  await store.close();
  writeFileSync(`${path}.0`, legacySlot(2, puts(9).values()));
  writeFileSync(`${path}.1`, "garbage");
  const report = await reload(path);
  t.equal(flat(report.registrations), flat(puts(4)), "the log's state");
  t.same(report.discarded, []);
  t.notOk(existsSync(`${path}.0`) || existsSync(`${path}.1`));
});

t.test("a migrated store takes commits like any other", async (t) => {
  const path = tempBase(t);
  writeFileSync(`${path}.1`, legacySlot(1, puts(3).values()));
  const store = new FileStore({ path });
  await store.load();
  await store.commit(new Map([[storeKey(reg(0)), null]]));
  await store.close();
  t.equal((await reload(path)).registrations.size, 2);
});
