// The page bridge's token: 32 random bytes (base64url, so it is a valid WebSocket subprotocol
// name), generated on the agent's first start into `browser.tokenFile` (0600, see
// secret-file.ts) and reused after. The kiosk page presents it; the agent serves it to pages
// of its own app (`browser.serve`), and an app served elsewhere gets it from its deployment.

import { randomBytes } from "node:crypto";
import { ConfigError } from "./agent-config.js";
import { secretFile } from "./secret-file.js";

const TOKEN = /^[A-Za-z0-9_-]{16,}$/;

/** The token at `file`, or a new one written there first. */
export async function bridgeTokenFile(file: string): Promise<string> {
  const token = (await secretFile(file, "bridge token", () => `${randomBytes(32).toString("base64url")}\n`)).trim();
  if (!TOKEN.test(token)) throw new ConfigError(`${file} is not a bridge token (one line of at least 16 characters A-Z a-z 0-9 _ -)`);
  return token;
}
