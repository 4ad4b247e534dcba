// Shared by the store tests: registrations to store, temporary directories, and the log
// format written from its description in log-record.ts, independently of the store, so that
// the tests check the format itself and can build damaged or half-written files directly.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "../../agent/node/crc32.js";
import { FileStore } from "../../agent/node/file-store.js";
import { storeKey, type LoadReport, type StoredRegistration } from "../../agent/store.js";

/** Registration i, in version v (v < 3: its attempts). */
export function reg(i: number, v = 0): StoredRegistration {
  const periodic = i % 3 === 0;
  return {
    scope: `https://app${i % 4}.example/`,
    tag: `tag-${i}-é✓`,
    kind: periodic ? "periodic" : "one-shot",
    attempts: v,
    maxAttempts: 3,
    delayUntil: v ? 1_700_000_000_000 + i : 0,
    anchorOrExpiry: 1_700_000_000_000 + 1000 * i,
    minInterval: periodic ? 60_000 * (i + 1) : 0,
    unmeteredOnly: i % 2 === 0,
    allowOnBattery: i % 5 !== 0,
  };
}

export const put = (r: StoredRegistration): Map<string, StoredRegistration | null> => new Map([[storeKey(r), r]]);
export const del = (r: StoredRegistration): Map<string, StoredRegistration | null> => new Map([[storeKey(r), null]]);

/** Registrations 0..n-1 in version v, as one commit. */
export function puts(n: number, v = 0): Map<string, StoredRegistration> {
  const m = new Map<string, StoredRegistration>();
  for (let i = 0; i < n; i++) m.set(storeKey(reg(i, v)), reg(i, v));
  return m;
}

/** A base path in a fresh temporary directory, removed at the end of the test. */
export function tempBase(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "syncward-store-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "state");
}

/** The entries of a state, for comparisons that include the order. */
export const flat = (m: ReadonlyMap<string, StoredRegistration>) => JSON.stringify([...m.entries()]);

export const HEADER = Buffer.from("SWLG\x02\x00\x00\x00", "latin1");

function framed(body: Buffer): Buffer {
  const frame = Buffer.alloc(8 + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, 8);
  frame.writeUInt32LE(crc32(frame.subarray(8), crc32(frame.subarray(0, 4))), 4);
  return frame;
}

/** The put record of `r`, from the format's description. */
export function putRecord(r: StoredRegistration): Buffer {
  const fixed = Buffer.alloc(33);
  fixed[0] = 1;
  fixed[1] = r.kind === "periodic" ? 1 : 0;
  fixed[2] = (r.unmeteredOnly ? 1 : 0) | (r.allowOnBattery ? 2 : 0);
  fixed[3] = r.attempts;
  fixed[4] = r.maxAttempts;
  fixed.writeDoubleLE(r.delayUntil, 5);
  fixed.writeDoubleLE(r.anchorOrExpiry, 13);
  fixed.writeDoubleLE(r.minInterval, 21);
  fixed.writeUInt32LE(Buffer.byteLength(r.scope), 29);
  return framed(Buffer.concat([fixed, Buffer.from(r.scope), Buffer.from(r.tag)]));
}

/** The delete record of `key`. */
export const deleteRecord = (key: string): Buffer => framed(Buffer.concat([Buffer.from([2]), Buffer.from(key)]));

/** The old two-slot format (version 1), from its description in legacy-slot-store.ts. */
export function legacySlot(generation: number, registrations: Iterable<StoredRegistration>): Buffer {
  const fields = ["scope", "tag", "kind", "attempts", "maxAttempts", "delayUntil", "anchorOrExpiry", "minInterval", "unmeteredOnly", "allowOnBattery"];
  const body = Buffer.from(JSON.stringify([...registrations], fields), "utf8");
  const b = Buffer.alloc(24 + body.length);
  b.write("SWRD", 0, "latin1");
  b.writeUInt32LE(1, 4);
  b.writeUInt32LE(generation % 2 ** 32, 8);
  b.writeUInt32LE(Math.floor(generation / 2 ** 32), 12);
  b.writeUInt32LE(body.length, 16);
  body.copy(b, 24);
  b.writeUInt32LE(crc32(b, crc32(b, 0, 0, 20), 24), 20);
  return b;
}

/** What a fresh FileStore on `path` loads, with the lines it logged. */
export async function reload(path: string): Promise<LoadReport & { lines: string[] }> {
  const lines: string[] = [];
  const store = new FileStore({ path, log: (l) => lines.push(l) });
  const report = await store.load();
  await store.close();
  return { ...report, lines };
}
