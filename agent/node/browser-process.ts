// A browser the agent starts itself (`browser.launch`) and speaks DevTools to over its
// `--remote-debugging-pipe`, so a kiosk needs no debugging port open: fd 3 and fd 4 of the
// child are the protocol's pipes. The agent owns its life: it ends it on stop (SIGTERM, then
// SIGKILL after a grace period) and the dispatcher starts it again when it exits.

import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { DevToolsPipe } from "./devtools-pipe.js";

/** How long the browser has to exit after SIGTERM before it is killed. */
const GRACE_MS = 5_000;
/** How much of the browser's stderr is kept, for the line that says why it exited. */
const STDERR_TAIL = 2_000;

export class BrowserProcess {
  readonly #child: ChildProcess;
  /** The DevTools protocol's pipes to the browser. */
  readonly pipe: DevToolsPipe;
  /** Resolves once the browser has exited, with how: `signal SIGKILL`, `code 0`, or another code and its last stderr line. */
  readonly exited: Promise<string>;
  #stderr = "";
  #stopping: Promise<string> | undefined;

  private constructor(child: ChildProcess, log: (line: string) => void) {
    this.#child = child;
    this.pipe = new DevToolsPipe(child.stdio[3] as Writable, child.stdio[4] as Readable, log);
    child.on("error", (error) => log(`the browser process: ${error.message}`));
    child.stderr!.on("data", (chunk: Buffer) => (this.#stderr = (this.#stderr + String(chunk)).slice(-STDERR_TAIL)));
    // "exit", not "close": Chromium's helpers inherit its stderr and may hold it open after it is gone.
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        if (signal) return resolve(`signal ${signal}`);
        // A browser that failed says why on stderr last (a bad switch, a profile in use); a killed one's last line is noise.
        const last = code === 0 ? undefined : this.#stderr.trim().split("\n").pop()?.trim();
        resolve(`code ${code}${last ? `: ${last}` : ""}`);
      }),
    );
  }

  /** Start `command` (executable, then its arguments) with `--remote-debugging-pipe`; rejects when it cannot be spawned (ENOENT, EACCES). */
  static async start(command: readonly string[], log: (line: string) => void): Promise<BrowserProcess> {
    const [executable, ...args] = command;
    // The switch right after the executable: before any URL, and before a `--` that would end the switches.
    const child = spawn(executable!, ["--remote-debugging-pipe", ...args], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    return new BrowserProcess(child, log);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** End the browser: SIGTERM, SIGKILL if it is still there after the grace period; resolves once it has exited. */
  stop(graceMs = GRACE_MS): Promise<string> {
    this.#stopping ??= (async () => {
      if (this.#child.exitCode === null && this.#child.signalCode === null) {
        this.#child.kill("SIGTERM");
        const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
        await this.exited;
        clearTimeout(timer);
      }
      return this.exited;
    })();
    return this.#stopping;
  }
}
