// WPE WebKit through WPEWebDriver and Cog in headless mode, for the browser tests and the
// benchmark: one driver process per session (the driver allows one session), started in its
// own process group so that teardown ends it and every Cog/WebKit process under it, even
// after a failure. A driver or browser that does not start is an error, never a skip.

import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import type { BrowserPage } from "./browser-page.js";

const CAPABILITIES = {
  capabilities: {
    alwaysMatch: {
      // `binary` is required (the default is MiniBrowser); without `--automation` POST /session
      // hangs; without `--platform=headless` Cog looks for Wayland first.
      "wpe:browserOptions": { binary: "/usr/bin/cog", args: ["--automation", "--platform=headless"] },
      timeouts: { script: 60_000, pageLoad: 30_000 },
    },
  },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The whole group is gone already.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WpeSession implements BrowserPage {
  readonly #driver: ChildProcess;
  readonly #base: string;
  #session: string | undefined;
  #stderr = "";

  private constructor(driver: ChildProcess, port: number) {
    this.#driver = driver;
    this.#base = `http://127.0.0.1:${port}`;
    driver.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-4000);
    });
  }

  /** Start a driver and a session; `register` receives the teardown that ends both. */
  static async start(register: (teardown: () => Promise<void>) => void): Promise<WpeSession> {
    const port = await freePort();
    const driver = spawn("WPEWebDriver", [`--port=${port}`], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
    const session = new WpeSession(driver, port);
    register(() => session.close());
    const spawned = new Promise<void>((resolve, reject) => {
      driver.once("spawn", resolve);
      driver.once("error", (error) => reject(new Error(`WPEWebDriver did not start: ${error.message}`)));
    });
    await spawned;
    for (let ready = false, deadline = Date.now() + 15_000; !ready;) {
      if (Date.now() > deadline) throw new Error(`WPEWebDriver did not listen on port ${port} within 15 s: ${session.#stderr}`);
      ready = await fetch(`${session.#base}/status`).then((r) => r.ok, () => false);
      if (!ready) await sleep(50);
    }
    const created = await session.#command("POST", "/session", CAPABILITIES, 30_000) as { sessionId?: string };
    if (!created?.sessionId) throw new Error(`WPEWebDriver created no session: ${JSON.stringify(created)} ${session.#stderr}`);
    session.#session = created.sessionId;
    return session;
  }

  async #command(method: string, path: string, body?: unknown, timeoutMs = 90_000): Promise<unknown> {
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = (await response.json()) as { value: unknown };
    if (!response.ok) {
      const { error, message } = json.value as { error?: string; message?: string };
      throw new Error(`WebDriver ${method} ${path}: ${error}: ${message}`);
    }
    return json.value;
  }

  #path(suffix: string): string {
    if (!this.#session) throw new Error("no WebDriver session");
    return `/session/${this.#session}${suffix}`;
  }

  async goto(url: string): Promise<void> {
    await this.#command("POST", this.#path("/url"), { url });
  }

  async reload(): Promise<void> {
    await this.#command("POST", this.#path("/refresh"), {});
  }

  /** Run `fn(arg)` in the page; a returned promise is awaited (WebDriver does that). */
  async eval<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> {
    const script = `return (${fn.toString()})(arguments[0]);`;
    return await this.#command("POST", this.#path("/execute/sync"), { script, args: [arg ?? null] }) as T;
  }

  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session) await this.#command("DELETE", `/session/${session}`, undefined, 10_000).catch(() => {});
    const pid = this.#driver.pid;
    if (pid === undefined) return;
    if (this.#driver.exitCode === null && this.#driver.signalCode === null) {
      const exited = new Promise((resolve) => this.#driver.once("exit", resolve));
      signalGroup(pid, "SIGTERM");
      await Promise.race([exited, sleep(3000)]);
    }
    // Cog and the WebKit processes share the driver's process group, whatever became of it.
    signalGroup(pid, "SIGKILL");
  }
}
