// The embedded broker's credential: without one, any local process could connect and flip the
// device's status. Generated on the agent's first start into a file only the agent's user can
// read (0600), and reused on later starts so that local clients (the firmware's
// `mosquitto_pub`, the kiosk's backend) keep working across restarts. The file is one line,
// `username:password`, which a shell splits with `IFS=: read -r user pass < FILE`.

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError } from "./agent-config.js";
import { sameSecret, secretFile } from "./secret-file.js";

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
  const sameUser = sameSecret(credential.username, username ?? "");
  const samePassword = sameSecret(credential.password, password ?? new Uint8Array());
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

/** The embedded broker's credential at `file`: the one there, or a new one written there first (see secret-file.ts). */
export async function brokerCredentialFile(file: string): Promise<BrokerCredential> {
  const text = await secretFile(file, "broker credential", () => {
    const credential = newBrokerCredential();
    return `${credential.username}:${credential.password}\n`;
  });
  return parseBrokerCredential(text, file);
}
