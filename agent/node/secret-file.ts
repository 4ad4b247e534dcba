// A secret the agent generates once and keeps in a file only its user can read (0600): the
// embedded broker's credential, the page bridge's token. Reused on later starts so that the
// clients given it keep working. A file that others could read, or that is not the agent
// user's own regular file (a link planted in a shared directory), is refused rather than
// trusted or repaired.

import { createHash, timingSafeEqual } from "node:crypto";
import { link, lstat, mkdir, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { userInfo } from "node:os";
import { ConfigError } from "./agent-config.js";

/** The text of the secret file `file` (`what` names it in errors), written first from `generate()` if there is none. */
export async function secretFile(file: string, what: string, generate: () => string): Promise<string> {
  const existing = await ownSecret(file, what);
  if (existing !== undefined) return existing;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Written whole and synced under a private name, then linked into place: a crash never
  // leaves a half-written secret, and of two agents starting at once one file wins.
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(generate());
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await unlink(temporary);
  }
  return (await ownSecret(file, what))!;
}

async function ownSecret(file: string, what: string): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!info.isFile()) throw new ConfigError(`the ${what} ${file} is not a regular file; remove it and a new one is generated`);
  if (info.uid !== userInfo().uid) throw new ConfigError(`the ${what} ${file} belongs to another user; remove it and a new one is generated`);
  const mode = info.mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new ConfigError(`the ${what} ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it, or remove it and a new one is generated`);
  return readFile(file, "utf8");
}

/** Whether `given` is `secret`, in time independent of where they differ. */
export function sameSecret(secret: string | Uint8Array, given: string | Uint8Array): boolean {
  const digest = (value: string | Uint8Array) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}
