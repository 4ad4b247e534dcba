// Damaged logs: cut at every byte offset (every one for a log with history, the last records
// and a seeded sample for a large snapshot), and thousands of seeded byte flips. load() must
// never throw, never return an invalid record, keep every record written whole before a cut,
// lose at most the damaged record to a flip (CRC-32 catches every error burst up to 32 bits),
// report each damage, and leave a log that loads cleanly afterwards.
import t from "tap";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { FileStore } from "../../agent/node/file-store.js";
import { Xoshiro128 } from "../reference/random.js";
import { registrationProblem, storeKey, type LoadReport, type StoredRegistration } from "../../agent/store.js";
import { HEADER, deleteRecord, flat, putRecord, reg, tempBase } from "./store-fixtures.js";

type Change = [string, StoredRegistration | null];

/** A log file built change by change: its bytes, and the state and file size after each change. */
function buildLog(changes: Change[]) {
  const states: Map<string, StoredRegistration>[] = [new Map()];
  const ends = [HEADER.length];
  const parts: Buffer[] = [HEADER];
  const versions = new Map<string, string[]>(); // every value a key ever had, as JSON
  for (const [key, value] of changes) {
    const state = new Map(states.at(-1));
    if (value === null) state.delete(key);
    else state.set(key, value);
    states.push(state);
    parts.push(value === null ? deleteRecord(key) : putRecord(value));
    ends.push(ends.at(-1)! + parts.at(-1)!.length);
    if (value) versions.set(key, [...(versions.get(key) ?? []), JSON.stringify(value)]);
  }
  return { bytes: Buffer.concat(parts), states, ends, versions, final: states.at(-1)! };
}

const history: Change[] = [];
for (let i = 0; i < 40; i++) history.push([storeKey(reg(i)), reg(i)]);
for (let i = 0; i < 40; i += 3) history.push([storeKey(reg(i)), reg(i, 1)]);
for (let i = 0; i < 40; i += 5) history.push([storeKey(reg(i)), null]);
for (let i = 0; i < 40; i += 10) history.push([storeKey(reg(i)), reg(i, 2)]);
const historyLog = buildLog(history);
const snapshotLog = buildLog(Array.from({ length: 600 }, (_, i) => [storeKey(reg(i, i % 3)), reg(i, i % 3)]));

async function loadFile(path: string, bytes: Buffer): Promise<{ report: LoadReport; logged: string[] }> {
  writeFileSync(`${path}.log`, bytes);
  const logged: string[] = [];
  const store = new FileStore({ path, log: (l) => logged.push(l) });
  const report = await store.load();
  await store.close();
  return { report, logged };
}

async function loadsCleanly(path: string, expected: ReadonlyMap<string, StoredRegistration>): Promise<string | undefined> {
  const store = new FileStore({ path });
  const { registrations, discarded } = await store.load();
  await store.close();
  if (discarded.length > 0) return `the next load still reports ${discarded.join(" / ")}`;
  if (flat(registrations) !== flat(expected)) return "the next load differs";
  return undefined;
}

for (const [name, log, sampled] of [
  ["a log with history", historyLog, false],
  ["a 600-record snapshot", snapshotLog, true],
] as const) {
  t.test(`${name} cut at ${sampled ? "the last records and 300 sampled offsets" : "every offset"}`, async (t) => {
    const path = tempBase(t);
    const random = new Xoshiro128(0xc0ffee, 3);
    const length = log.bytes.length;
    const cuts = sampled
      ? [...Array.from({ length: length - log.ends.at(-4)! }, (_, i) => log.ends.at(-4)! + i), ...Array.from({ length: 300 }, () => random.next() % length)]
      : Array.from({ length }, (_, i) => i);
    const failures: string[] = [];
    for (const cut of cuts) {
      const whole = log.ends.findLastIndex((end) => end <= cut);
      const expected = whole < 0 ? new Map() : log.states[whole]!;
      try {
        const { report, logged } = await loadFile(path, log.bytes.subarray(0, cut));
        const clean = cut === log.ends[whole];
        if (flat(report.registrations) !== flat(expected)) failures.push(`${cut}: not the ${whole} whole records`);
        else if (clean !== (report.discarded.length === 0)) failures.push(`${cut}: ${report.discarded.length} discard lines`);
        else if (logged.join("\n") !== report.discarded.join("\n")) failures.push(`${cut}: log differs`);
        else if (cut >= HEADER.length && statSync(`${path}.log`).size !== log.ends[whole]) failures.push(`${cut}: tail not cut off`);
        else if (cut % 7 === 0) {
          const again = await loadsCleanly(path, expected);
          if (again) failures.push(`${cut}: ${again}`);
        }
      } catch (error) {
        failures.push(`${cut}: threw ${String(error)}`);
      }
    }
    t.same(failures.slice(0, 10), [], `${cuts.length} cuts: ${failures.length} failures`);
  });
}

t.test("the torn tail is cut off before the next append", async (t) => {
  const path = tempBase(t);
  const { report } = await loadFile(path, historyLog.bytes.subarray(0, historyLog.bytes.length - 5));
  t.match(report.discarded, [/dropped a torn tail of \d+ bytes at offset/]);
  const store = new FileStore({ path });
  await store.load();
  await store.commit(new Map([[storeKey(reg(77)), reg(77)]]));
  await store.close();
  const expected = new Map(historyLog.states.at(-2));
  expected.set(storeKey(reg(77)), reg(77));
  t.equal(await loadsCleanly(path, expected), undefined);
});

for (const [name, log, flips] of [
  ["a log with history", historyLog, 2000],
  ["a 600-record snapshot", snapshotLog, 600],
] as const) {
  t.test(`${flips} seeded byte flips in ${name}`, async (t) => {
    const path = tempBase(t);
    const random = new Xoshiro128(0xf1195, flips);
    const failures: string[] = [];
    for (let n = 0; n < flips && failures.length < 10; n++) {
      const bytes = Buffer.from(log.bytes);
      const at = random.next() % bytes.length;
      bytes[at]! ^= 1 + (random.next() % 255);
      try {
        const { report } = await loadFile(path, bytes);
        const found = report.registrations;
        const invalid = [...found].find(([key, r]) => registrationProblem(r) !== undefined || storeKey(r) !== key);
        const unknown = [...found].find(([key, r]) => !log.versions.get(key)?.includes(JSON.stringify(r)));
        const keys = new Set([...found.keys(), ...log.final.keys()]);
        const differing = [...keys].filter((key) => JSON.stringify(found.get(key)) !== JSON.stringify(log.final.get(key)));
        if (invalid) failures.push(`flip ${n} (byte ${at}): invalid record ${invalid[0]}`);
        else if (unknown) failures.push(`flip ${n} (byte ${at}): a value never written for ${unknown[0]}`);
        else if (differing.length > 1) failures.push(`flip ${n} (byte ${at}): ${differing.length} keys lost or stale`);
        else if (report.discarded.length === 0) failures.push(`flip ${n} (byte ${at}): not reported`);
        else if (n % 10 === 0) {
          const again = await loadsCleanly(path, found);
          if (again) failures.push(`flip ${n} (byte ${at}): ${again}`);
        }
      } catch (error) {
        failures.push(`flip ${n} (byte ${at}): threw ${String(error)}`);
      }
    }
    t.same(failures, [], `${flips} flips`);
  });
}

t.test("checksummed records with wrong content are skipped, said why, and the rest kept", async (t) => {
  const path = tempBase(t);
  const bad = (r: StoredRegistration) => putRecord(r);
  const cases: [string, Buffer, RegExp][] = [
    ["attempts out of range", bad({ ...reg(1), attempts: 5 }), /attempts is not an integer/],
    ["one-shot with an interval", bad({ ...reg(1), minInterval: 5 }), /nonzero minInterval/],
    ["a fractional time", bad({ ...reg(1), delayUntil: 1.5 }), /delayUntil/],
    [
      "invalid UTF-8 in a tag",
      (() => {
        const b = putRecord({ ...reg(1), tag: "a" });
        return Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([0xff])]);
      })(),
      /checksum|damaged bytes|UTF-8/,
    ],
  ];
  for (const [name, record, reason] of cases) {
    const { report, logged } = await loadFile(path, Buffer.concat([HEADER, putRecord(reg(0)), record, putRecord(reg(2))]));
    t.equal(
      flat(report.registrations),
      flat(
        new Map([
          [storeKey(reg(0)), reg(0)],
          [storeKey(reg(2)), reg(2)],
        ]),
      ),
      `${name}: the others kept`,
    );
    t.match(report.discarded, [reason], `${name}: says why`);
    t.same(logged, report.discarded, `${name}: logged`);
  }
  const { report } = await loadFile(path, Buffer.concat([Buffer.from("SWLG\x03\x00\x00\x00", "latin1"), putRecord(reg(0))]));
  t.match(report.discarded, [/bad file header \(53574c4703000000\)/], "a header of another version is reported");
  t.equal(report.registrations.size, 1, "and its records read as well as possible");
  t.same(readFileSync(`${path}.log`).subarray(0, 8), HEADER, "the log was rewritten with this version's header");
});
