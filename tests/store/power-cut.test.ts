// Power cuts at every step of a realistic workload, in the manner of SQLite's crash tests: the
// file store runs on a simulated disk (power-cut-disk.ts), and before every write, truncation,
// fsync, creation, rename and removal the images a power cut would leave are taken (unsynced
// data lost, kept or torn; unsynced directory entries lost or kept). Each image is loaded by a
// fresh store, which must hold every acknowledged commit (a key changed by a commit still in
// flight may hold the acknowledged value or an in-flight one, nothing else), and then go on:
// a commit after the recovery survives a reload. The test of the test: the same walk on a
// disk that ignores one of the product's fsyncs must find a loss.
import t from "tap";
import { COMPACT_MIN_BYTES, FileStore } from "../../agent/node/file-store.js";
import { storeKey, type StoredRegistration } from "../../agent/store.js";
import { PowerCutDisk, type CrashVariant, type DiskImage } from "./power-cut-disk.js";
import { eachIgnoredFsyncLoses, type WalkOutcome } from "./fsync-removal.js";
import { reg } from "./store-fixtures.js";

const BASE = "/data/state";
type Changes = Map<string, StoredRegistration | null>;

/** What the walk knows at a moment: the acknowledged state and what commits in flight may have left. */
interface Expectation {
  acked: Map<string, StoredRegistration>;
  /** Per key changed by a commit in flight: the values it may also hold (null: absent). */
  maybe: Map<string, (StoredRegistration | null)[]>;
}

/**
 * The Agent's pattern: registrations put, updated (attempts, back-off) and deleted, in turns
 * of one to three concurrent commits, long enough for the log to be compacted twice.
 */
function* workload(): Generator<Changes[]> {
  const alive = new Set<number>();
  let next = 0;
  for (let turn = 0; turn < 900; turn++) {
    const commits: Changes[] = [];
    for (let c = 0; c < 1 + (turn % 3); c++) {
      const changes: Changes = new Map();
      const fresh = next++;
      alive.add(fresh);
      changes.set(storeKey(reg(fresh)), reg(fresh));
      for (const i of alive) {
        if (i === fresh || (i + turn) % 7 !== 0) continue;
        if ((i + turn) % 2 === 0) {
          changes.set(storeKey(reg(i)), null);
          alive.delete(i);
        } else changes.set(storeKey(reg(i)), reg(i, 1 + (turn % 2)));
      }
      commits.push(changes);
    }
    yield commits;
  }
}

interface WalkResult extends WalkOutcome {
  images: number;
  steps: number;
  snapshots: number;
}

/** Run the workload on a disk, checking every image a power cut before each step would leave. */
async function walk(ignoreSyncFrom?: RegExp, stopAtFirstFailure = false): Promise<WalkResult> {
  const disk = new PowerCutDisk(new Map(), ignoreSyncFrom ? { ignoreSyncFrom } : {});
  const store = new FileStore({ path: BASE, fileSystem: disk });
  const acked = new Map<string, StoredRegistration>();
  const inFlight = new Set<Changes>();
  const pendingImages: { expectation: Expectation; images: ReturnType<PowerCutDisk["images"]> }[] = [];
  let steps = 0;
  disk.beforeStep = () => {
    steps++;
    const maybe = new Map<string, (StoredRegistration | null)[]>();
    for (const commit of inFlight) for (const [key, value] of commit) maybe.set(key, [...(maybe.get(key) ?? []), value]);
    pendingImages.push({ expectation: { acked: new Map(acked), maybe }, images: disk.images() });
  };
  const result: WalkResult = { images: 0, steps: 0, snapshots: 0, syncs: disk.syncs, failures: [] };
  const check = async () => {
    for (const { expectation, images } of pendingImages.splice(0)) {
      for (const { variant, image } of images) {
        result.images++;
        const failure = await recover(image, expectation, variant);
        if (failure) result.failures.push(`step ${result.failures.length === 0 ? steps : "…"}, ${variant.data} data, ${variant.names} names: ${failure}`);
        if (stopAtFirstFailure && result.failures.length > 0) return;
      }
    }
  };
  await store.load();
  for (const commits of workload()) {
    await Promise.all(
      commits.map(async (changes) => {
        inFlight.add(changes);
        await store.commit(changes);
        inFlight.delete(changes);
        for (const [key, value] of changes) {
          if (value === null) acked.delete(key);
          else acked.set(key, value);
        }
      }),
    );
    await check();
    if (stopAtFirstFailure && result.failures.length > 0) break;
  }
  result.steps = steps;
  result.snapshots = store.snapshots;
  await store.close();
  return result;
}

/** Load an image with a fresh store and check it against what was acknowledged; then go on. */
async function recover(image: DiskImage, expected: Expectation, variant: CrashVariant): Promise<string | undefined> {
  const disk = new PowerCutDisk(image);
  const lines: string[] = [];
  const store = new FileStore({ path: BASE, fileSystem: disk, log: (line) => lines.push(line) });
  let loaded;
  try {
    loaded = (await store.load()).registrations;
  } catch (error) {
    return `load threw ${String(error)}`;
  }
  for (const [key, value] of expected.acked) {
    const got = loaded.get(key);
    if (sameRecord(got, value)) continue;
    if (expected.maybe.get(key)?.some((m) => sameRecord(got, m))) continue;
    return `acknowledged ${key} is ${got ? "stale" : "missing"} (${variant.data}/${variant.names})`;
  }
  for (const [key, got] of loaded) {
    if (expected.acked.has(key)) continue;
    if (!expected.maybe.get(key)?.some((m) => sameRecord(got, m))) return `${key} was never committed, or was deleted`;
  }
  // The recovered store goes on: a commit now survives a reload.
  const after = reg(100_000);
  await store.commit(new Map([[storeKey(after), after]]));
  await store.close();
  const again = await new FileStore({ path: BASE, fileSystem: new PowerCutDisk(imageOf(disk)) }).load();
  if (!sameRecord(again.registrations.get(storeKey(after)), after)) return "a commit after the recovery was lost";
  return undefined;
}

/** A disk's state with everything written so far made durable (a clean shutdown). */
function imageOf(disk: PowerCutDisk): DiskImage {
  return disk.images().find((i) => i.variant.data === "kept" && i.variant.names === "kept")!.image;
}

function sameRecord(a: StoredRegistration | null | undefined, b: StoredRegistration | null | undefined): boolean {
  if (a === undefined || a === null) return b === undefined || b === null;
  return b !== undefined && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

t.test("a power cut before any step of the workload loses nothing acknowledged", async (t) => {
  const result = await walk();
  t.ok(result.steps > 1000, `${result.steps} steps, ${result.images} images recovered`);
  t.ok(result.snapshots >= 3, `the log was compacted into a new one ${result.snapshots - 1} times (over ${COMPACT_MIN_BYTES / 1024} KiB)`);
  t.same(result.failures.slice(0, 5), [], "no image lost or invented anything");
  t.equal(result.syncs.ignored, 0, `${result.syncs.done} fsyncs, none ignored`);
});

// The test of the test: each fsync the workload relies on, ignored by a lying disk, loses data.
const FSYNCS: [string, RegExp][] = [
  ["the append's fsync", /^\s*at (async )?FileStore\.#append/],
  ["the snapshot's fsync", /^\s*at (async )?writeSnapshot/],
  ["the directory's fsync after the rename", /^\s*at (async )?syncDirectory[^\n]*\n\s*at (async )?FileStore\.#startLog/],
];
eachIgnoredFsyncLoses(t, FSYNCS, (site) => walk(site, true));
