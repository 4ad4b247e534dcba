// Node code run as another local user (needs root), for the tests that another user's process
// is kept out of the agent's socket and files.
import { spawn } from "node:child_process";

/** nobody's uid and gid on Debian. */
export const NOBODY = 65534;

/** Run `code` with `node -e` as user `uid` (and group `uid`) from `/`; resolves with its trimmed stdout. */
export function runAs(uid: number, code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", code], { uid, gid: uid, cwd: "/", stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("close", () => resolve(out.trim()));
  });
}
