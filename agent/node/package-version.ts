// syncward's own version, for `syncward --version`: read from the package.json of the
// package this file belongs to, so a source checkout, the compiled build and an installed
// tarball all answer the version they really are.

import { readFileSync } from "node:fs";

/** The version field of the nearest package.json named "syncward" above this module. */
export function packageVersion(): string {
  for (let dir = new URL("./", import.meta.url); ; dir = new URL("../", dir)) {
    const manifest = readManifest(new URL("package.json", dir));
    if (manifest?.name === "syncward" && typeof manifest.version === "string") return manifest.version;
    if (dir.pathname === "/") throw new Error("syncward's package.json is not above its code");
  }
}

function readManifest(url: URL): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(url, "utf8")) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
