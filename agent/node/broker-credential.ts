// The embedded broker's credential: without one, any local process could connect and flip the
// device's status. Generated on the agent's first start into a file only the agent's user can
// read (0600), and reused on later starts so that local clients (the firmware's
// `mosquitto_pub`, the kiosk's backend) keep working across restarts. The file is one line,
// `username:password`, which a shell splits with `IFS=: read -r user pass < FILE`.

import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { link, lstat, mkdir, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { userInfo } from "node:os";
import { ConfigError } from "./agent-config.js";

export interface BrokerCredential {
  username: string;
  password: string;
}

/** The user name the agent generates; only the password is secret. */
export const BROKER_USERNAME = "syncward";

/** A fresh credential: 32 random bytes of password, base64url (no ':' in it). */
export function newBrokerCredential(): BrokerCredential {
  return { username: BROKER_USERNAME, password: randomBytes(32).toString("base64url") };
}

/** Whether `username` and `password` are `credential`, in time independent of where they differ. */
export function matchesCredential(credential: BrokerCredential, username: string | undefined, password: Uint8Array | undefined): boolean {
  const digest = (value: string | Uint8Array) => createHash("sha256").update(value).digest();
  const sameUser = timingSafeEqual(digest(username ?? ""), digest(credential.username));
  const samePassword = timingSafeEqual(digest(password ?? new Uint8Array()), digest(credential.password));
  return username !== undefined && password !== undefined && sameUser && samePassword;
}

/** Parse a credential file's text; `file` names it in the error. */
export function parseBrokerCredential(text: string, file: string): BrokerCredential {
  const line = text.replace(/\r?\n$/, "");
  const colon = line.indexOf(":");
  if (colon <= 0 || colon === line.length - 1 || line.includes("\n")) {
    throw new ConfigError(`${file} is not a broker credential (one line, username:password)`);
  }
  return { username: line.slice(0, colon), password: line.slice(colon + 1) };
}

/** Read the credential file of another agent's embedded broker (`mqtt.credentialFile` with `mqtt.url`). */
export async function readBrokerCredential(file: string): Promise<BrokerCredential> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read mqtt.credentialFile ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseBrokerCredential(text, file);
}

/**
 * The embedded broker's credential at `file`: the one there, or a new one written there first.
 * A file that others could read, or that is not the agent user's own regular file (a link
 * planted in a shared directory), is refused rather than trusted or repaired.
 */
export async function brokerCredentialFile(file: string): Promise<BrokerCredential> {
  const existing = await ownCredential(file);
  if (existing) return existing;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Written whole and synced under a private name, then linked into place: a crash never
  // leaves a half-written credential, and of two agents starting at once one file wins.
  const temporary = `${file}.${process.pid}.tmp`;
  const credential = newBrokerCredential();
  const handle = await open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(`${credential.username}:${credential.password}\n`);
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
  return (await ownCredential(file))!;
}

async function ownCredential(file: string): Promise<BrokerCredential | undefined> {
  let info;
  try {
    info = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`cannot read the broker credential ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!info.isFile()) throw new ConfigError(`the broker credential ${file} is not a regular file; remove it and a new one is generated`);
  if (info.uid !== userInfo().uid) throw new ConfigError(`the broker credential ${file} belongs to another user; remove it and a new one is generated`);
  const mode = info.mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new ConfigError(
      `the broker credential ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it, or remove it and a new one is generated`,
    );
  return parseBrokerCredential(await readFile(file, "utf8"), file);
}
