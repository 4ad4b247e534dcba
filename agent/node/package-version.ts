// syncward's own version, for `syncward --version`, and its root directory, for the files it
// ships beside its code (dist/): read from the package.json of the package this file belongs
// to, so a source checkout, the compiled build and an installed tarball all answer for what
// they really are.

import { readFileSync } from "node:fs";

/** The directory of the nearest package.json named "syncward" above this module. */
export function packageRoot(): URL {
  for (let dir = new URL("./", import.meta.url); ; dir = new URL("../", dir)) {
    if (readManifest(new URL("package.json", dir))?.name === "syncward") return dir;
    if (dir.pathname === "/") throw new Error("syncward's package.json is not above its code");
  }
}

/** The version field of syncward's package.json. */
export function packageVersion(): string {
  const version = readManifest(new URL("package.json", packageRoot()))?.version;
  if (typeof version !== "string") throw new Error("syncward's package.json has no version");
  return version;
}

function readManifest(url: URL): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(url, "utf8")) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
