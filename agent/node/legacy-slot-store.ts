// Reader of the store format before the log (format version 1), kept only to migrate it: two
// snapshot slots, <path>.0 and <path>.1, each a whole state; the valid one with the higher
// generation is the state. Read-only: the file store writes the result as its log, then
// removes the slots.
//
// Slot format (little-endian): "SWRD", version u32 (1), generation u64 (a safe integer; slot =
// generation % 2), payload length u32, CRC-32 of header bytes 0..19 and the payload, then the
// payload: the compact JSON array of the registrations. A slot is valid iff all of it checks.

import { crc32 } from "./crc32.js";
import { copyRegistration } from "./log-record.js";
import { readRegularFile } from "./store-files.js";
import type { StoreFileSystem } from "./store-file-system.js";
import { registrationProblem, storeKey, type StoredRegistration } from "../store.js";

const HEADER = 24;
const CRC_COVERED = 20;

export interface LegacyRead {
  /** Whether either slot file exists: only then is there anything to migrate. */
  found: boolean;
  /** The newest valid generation's registrations (empty when none is valid). */
  registrations: Map<string, StoredRegistration>;
  /** One line per slot that exists but was not used. */
  discarded: string[];
}

type Slot = { generation: number; registrations: Map<string, StoredRegistration> } | { problem: string };

/** The slot paths of base path `path`. */
export const legacySlotPaths = (path: string): [string, string] => [`${path}.0`, `${path}.1`];

/** Read both slots of base path `path`. Never throws. */
export async function readLegacySlots(fs: StoreFileSystem, path: string): Promise<LegacyRead> {
  const paths = legacySlotPaths(path);
  const slots: (Slot | undefined)[] = [];
  for (const [slot, slotPath] of paths.entries()) {
    const read = await readRegularFile(fs, slotPath);
    slots.push("bytes" in read ? decodeSlot(slot, read.bytes) : "problem" in read ? read : undefined);
  }
  let best: { generation: number; registrations: Map<string, StoredRegistration> } | undefined;
  for (const slot of slots) if (slot && "generation" in slot && slot.generation > (best?.generation ?? 0)) best = slot;
  const outcome = best ? `migrating generation ${best.generation}` : "no valid snapshot left: starting empty";
  const discarded: string[] = [];
  slots.forEach((slot, i) => {
    if (slot && "problem" in slot) discarded.push(`syncward store: discarded ${paths[i]}: ${slot.problem}; ${outcome}`);
  });
  return { found: slots.some((slot) => slot !== undefined), registrations: best?.registrations ?? new Map(), discarded };
}

function decodeSlot(slot: number, bytes: Buffer): Slot {
  if (bytes.length < HEADER) return { problem: `truncated: ${bytes.length} bytes, shorter than the ${HEADER}-byte header` };
  if (bytes.toString("latin1", 0, 4) !== "SWRD") return { problem: "not a syncward store file (bad magic)" };
  if (bytes.length !== HEADER + bytes.readUInt32LE(16)) return { problem: `truncated or extended: ${bytes.length} bytes` };
  if (bytes.readUInt32LE(CRC_COVERED) !== crc32(bytes, crc32(bytes, 0, 0, CRC_COVERED), HEADER)) return { problem: "checksum mismatch" };
  if (bytes.readUInt32LE(4) !== 1) return { problem: `format version ${bytes.readUInt32LE(4)}, not 1` };
  const high = bytes.readUInt32LE(12);
  const generation = high * 2 ** 32 + bytes.readUInt32LE(8);
  if (high > 0x1fffff || generation < 1) return { problem: `generation ${generation} out of range` };
  if (generation % 2 !== slot) return { problem: `holds generation ${generation}, which belongs in the other slot` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER)));
  } catch (error) {
    return { problem: `generation ${generation}: payload is not UTF-8 JSON (${(error as Error).message})` };
  }
  if (!Array.isArray(parsed)) return { problem: `generation ${generation}: payload is not an array` };
  const registrations = new Map<string, StoredRegistration>();
  for (const [i, value] of parsed.entries()) {
    const problem = registrationProblem(value);
    if (problem !== undefined) return { problem: `generation ${generation}: record ${i}: ${problem}` };
    const r = copyRegistration(value as StoredRegistration);
    if (registrations.has(storeKey(r))) return { problem: `generation ${generation}: record ${i} repeats ${JSON.stringify(storeKey(r))}` };
    registrations.set(storeKey(r), r);
  }
  return { generation, registrations };
}
