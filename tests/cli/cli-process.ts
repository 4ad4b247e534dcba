// `syncward agent` as a child process whose output lines the test can wait for.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

// From tests/cli/, or from the benchmarks' build of it in build/bench/tests/cli/.
const root = import.meta.url.includes("/build/bench/") ? "../../../../" : "../../";
export const cli = fileURLToPath(new URL(`${root}build/dist/cli/syncward.js`, import.meta.url));

export interface Running {
  child: ChildProcess;
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export function start(args: string[]): Running {
  const child = spawn(process.execPath, [cli, "agent", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffer = "";
  const take = (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters])
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  return {
    child,
    lines,
    waitFor(pattern, timeoutMs = 15_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got:\n${lines.join("\n")}`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}
