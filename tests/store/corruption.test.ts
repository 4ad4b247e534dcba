// Damaged slot files: every truncation of either slot, thousands of seeded single-byte flips,
// both slots damaged, and well-checksummed slots whose content is wrong. load() must never
// throw, must return one whole generation (never a mix, never garbage) and must report each
// discarded slot in one line. A single damaged byte is always caught (CRC-32 detects every
// error burst up to 32 bits), so the assertions below demand the other slot exactly.
import t from "tap";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "../../agent/node/file-store.js";
import { crc32 } from "../../agent/node/crc32.js";
import { storeKey, type LoadReport, type StoredRegistration } from "../../agent/store.js";
import { Xoshiro128 } from "../reference/random.js";

function reg(i: number, generation: number): StoredRegistration {
  const periodic = i % 2 === 1;
  return {
    scope: `https://shop${i % 3}.example/sw/`, tag: `outbox-${i}`, kind: periodic ? "periodic" : "one-shot",
    attempts: (i + generation) % 3, maxAttempts: 3, delayUntil: 1_700_000_000_000 + 7919 * i * generation,
    anchorOrExpiry: periodic ? 1_690_000_000_000 + i : 0, minInterval: periodic ? 3_600_000 : 0,
    unmeteredOnly: i % 3 === 0, allowOnBattery: generation % 2 === 0,
  };
}
function snapshot(n: number, generation: number): Map<string, StoredRegistration> {
  const m = new Map<string, StoredRegistration>();
  for (let i = 0; i < n; i++) m.set(storeKey(reg(i, generation)), reg(i, generation));
  return m;
}
const flat = (m: ReadonlyMap<string, StoredRegistration>) => JSON.stringify([...m.entries()]);

/** The slot format, written independently of the store: a check on the format itself. */
function encodeSlot(generation: number, payload: string | Buffer, version = 1): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const b = Buffer.alloc(24 + body.length);
  b.write("SWRD", 0, "latin1");
  b.writeUInt32LE(version, 4);
  b.writeUInt32LE(generation % 2 ** 32, 8);
  b.writeUInt32LE(Math.floor(generation / 2 ** 32), 12);
  b.writeUInt32LE(body.length, 16);
  body.copy(b, 24);
  b.writeUInt32LE(crc32(b, crc32(b, 0, 0, 20), 24), 20);
  return b;
}

const dir = mkdtempSync(join(tmpdir(), "syncward-corrupt-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, "state");
const older = snapshot(6, 1); // generation 1, slot 1
const newer = snapshot(7, 2); // generation 2, slot 0
const slotPath = [`${path}.0`, `${path}.1`] as const;
let original: [Buffer, Buffer];

async function loadFresh(): Promise<{ report: LoadReport; logged: string[] }> {
  const logged: string[] = [];
  const store = new FileStore({ path, log: (l) => logged.push(l) });
  const report = await store.load();
  await store.close();
  return { report, logged };
}
function restore(): void {
  writeFileSync(slotPath[0], original[0]);
  writeFileSync(slotPath[1], original[1]);
}

t.before(async () => {
  const store = new FileStore({ path });
  await store.load();
  await store.commit(older);
  await store.commit(newer);
  await store.close();
  original = [readFileSync(slotPath[0]), readFileSync(slotPath[1])];
});

t.test("the slots hold the documented format", async (t) => {
  t.same(original[0], encodeSlot(2, JSON.stringify([...newer.values()])), "slot 0: generation 2");
  t.same(original[1], encodeSlot(1, JSON.stringify([...older.values()])), "slot 1: generation 1");
  const { report } = await loadFresh();
  t.equal(flat(report.registrations), flat(newer));
  t.same(report.discarded, []);
});

for (const [slot, name, expected] of [[0, "newest", older], [1, "older", newer]] as const) {
  t.test(`the ${name} slot truncated at every offset`, async (t) => {
    const bytes = original[slot];
    const failures: string[] = [];
    restore();
    for (let length = 0; length < bytes.length; length++) {
      writeFileSync(slotPath[slot], bytes.subarray(0, length));
      try {
        const { report, logged } = await loadFresh();
        if (flat(report.registrations) !== flat(expected)) failures.push(`${length}: wrong registrations`);
        else if (report.discarded.length !== 1) failures.push(`${length}: ${report.discarded.length} discard lines`);
        else if (logged.length !== 1 || logged[0] !== report.discarded[0]) failures.push(`${length}: log differs`);
      } catch (error) {
        failures.push(`${length}: threw ${String(error)}`);
      }
    }
    restore();
    t.same(failures.slice(0, 10), [], `${bytes.length} truncations (0..${bytes.length - 1}): ${failures.length} failures`);
  });
}

t.test("2,400 seeded single-byte flips in either slot", async (t) => {
  const random = new Xoshiro128(0xc0ffee, 7);
  const failures: string[] = [];
  const bySlot = [0, 0];
  restore();
  for (let n = 0; n < 2400; n++) {
    const slot = random.next() & 1;
    const bytes = Buffer.from(original[slot]!);
    const at = random.next() % bytes.length;
    bytes[at]! ^= 1 + (random.next() % 255);
    writeFileSync(slotPath[slot]!, bytes);
    bySlot[slot]!++;
    try {
      const { report } = await loadFresh();
      const result = flat(report.registrations);
      if (result !== flat(newer) && result !== flat(older)) failures.push(`flip ${n} (slot ${slot} byte ${at}): not a whole generation`);
      else if (result !== flat(slot === 0 ? older : newer)) failures.push(`flip ${n} (slot ${slot} byte ${at}): damage not caught`);
      else if (report.discarded.length !== 1) failures.push(`flip ${n}: ${report.discarded.length} discard lines`);
    } catch (error) {
      failures.push(`flip ${n}: threw ${String(error)}`);
    }
    writeFileSync(slotPath[slot]!, original[slot]!);
  }
  restore();
  t.ok(bySlot[0]! > 1000 && bySlot[1]! > 1000, `flips per slot: ${bySlot.join(", ")}`);
  t.same(failures.slice(0, 10), [], `${failures.length} failures`);
});

t.test("both slots damaged: empty state, two lines", async (t) => {
  const cases: [string, Buffer, Buffer][] = [
    ["both truncated", original[0].subarray(0, 30), original[1].subarray(0, 3)],
    ["both emptied", Buffer.alloc(0), Buffer.alloc(0)],
    ["flipped and truncated", Buffer.from(original[0]).fill(0x41, 40, 41), original[1].subarray(0, original[1].length - 1)],
    ["foreign files", Buffer.from("hello\n"), Buffer.from(JSON.stringify([...older.values()]))],
  ];
  for (const [name, zero, one] of cases) {
    writeFileSync(slotPath[0], zero);
    writeFileSync(slotPath[1], one);
    const { report, logged } = await loadFresh();
    t.equal(report.registrations.size, 0, `${name}: empty`);
    t.equal(report.discarded.length, 2, `${name}: two lines`);
    t.same(logged, report.discarded, `${name}: logged`);
    t.match(report.discarded[1], /no valid snapshot left: starting empty/);
  }
  restore();
});

t.test("checksummed but wrong content: the whole slot goes, the other stays", async (t) => {
  const valid = [...newer.values()];
  const cases: [string, Buffer, RegExp][] = [
    ["future version", encodeSlot(4, JSON.stringify(valid), 2), /format version 2 \(newer than this build\)/],
    ["bad JSON", encodeSlot(4, JSON.stringify(valid).slice(0, -1)), /not UTF-8 JSON/],
    ["not an array", encodeSlot(4, JSON.stringify({ a: 1 })), /not an array/],
    ["one record out of range", encodeSlot(4, JSON.stringify([...valid.slice(0, 3), { ...valid[3], maxAttempts: 0 }])), /record 3: maxAttempts/],
    ["one record of the wrong type", encodeSlot(4, JSON.stringify([{ ...valid[0], delayUntil: "soon" }])), /record 0: delayUntil/],
    ["one-shot with an interval", encodeSlot(4, JSON.stringify([{ ...valid[0], minInterval: 5 }])), /nonzero minInterval/],
    ["a repeated record", encodeSlot(4, JSON.stringify([valid[1], valid[1]])), /record 1 repeats/],
    ["wrong slot for the generation", encodeSlot(5, JSON.stringify(valid)), /belongs in the other slot/],
    ["generation zero", encodeSlot(0, JSON.stringify(valid)), /out of range/],
    ["unsafe generation", encodeSlot(2 ** 54, JSON.stringify(valid)), /out of range/],
    ["trailing bytes", Buffer.concat([encodeSlot(4, JSON.stringify(valid)), Buffer.from([0])]), /extended/],
    ["invalid UTF-8", encodeSlot(4, Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d])), /not UTF-8 JSON/],
  ];
  for (const [name, bytes, reason] of cases) {
    restore();
    writeFileSync(slotPath[0], bytes); // in place of generation 2: generation 1 must come back
    const { report } = await loadFresh();
    t.equal(flat(report.registrations), flat(older), `${name}: generation 1 returned`);
    t.equal(report.discarded.length, 1, `${name}: one line`);
    t.match(report.discarded[0], reason, `${name}: says why`);
  }
  restore();
  // A valid generation 4 in slot 0 beats generation 1 in slot 1, extra fields are dropped.
  writeFileSync(slotPath[0], encodeSlot(4, JSON.stringify(valid.map((r) => ({ ...r, future: true })))));
  const { report } = await loadFresh();
  t.equal(flat(report.registrations), flat(newer), "unknown extra fields are ignored");
  t.same(report.discarded, []);
  restore();
});

t.test("after a discard the next commit overwrites the damaged slot and never the good one", async (t) => {
  restore();
  writeFileSync(slotPath[0], original[0].subarray(0, 50)); // generation 2 damaged
  const store = new FileStore({ path });
  const { registrations, discarded } = await store.load();
  t.equal(flat(registrations), flat(older));
  t.equal(discarded.length, 1);
  await store.commit(registrations); // unchanged content, but the damage is repaired
  t.same(readFileSync(slotPath[1]), original[1], "generation 1 untouched");
  t.equal(readFileSync(slotPath[0]).readUInt32LE(8), 2, "slot 0 rewritten as generation 2");
  await store.close();
  const { report } = await loadFresh();
  t.same(report.discarded, []);
  t.equal(flat(report.registrations), flat(older));
  restore();
});
