// WebKit through its WebDriver, for the browser tests and the benchmark: WPE WebKit
// (WPEWebDriver, Cog in headless mode), or WebKitGTK (WebKitWebDriver, MiniBrowser, which
// needs an X display: a private Xvfb through xvfb-run). One driver process per session (the
// drivers allow one session), started in its own process group so that teardown ends it and
// every browser, WebKit and X process under it, even after a failure. A driver or browser
// that does not start is an error, never a skip.

import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./free-port.js";
import type { BrowserPage } from "./browser-page.js";

export type WebKitEngine = "wpe" | "webkitgtk";

const TIMEOUTS = { script: 60_000, pageLoad: 30_000 };

const ENGINES: Record<WebKitEngine, { command: string[]; capabilities: unknown }> = {
  wpe: {
    command: ["WPEWebDriver"],
    capabilities: {
      capabilities: {
        alwaysMatch: {
          // `binary` is required (the default is MiniBrowser); without `--automation` POST
          // /session hangs; without `--platform=headless` Cog looks for Wayland first.
          "wpe:browserOptions": { binary: "/usr/bin/cog", args: ["--automation", "--platform=headless"] },
          timeouts: TIMEOUTS,
        },
      },
    },
  },
  webkitgtk: {
    // MiniBrowser has no headless mode; it ships inside libwebkit2gtk-4.1-0, not on PATH.
    command: ["xvfb-run", "-a", "WebKitWebDriver"],
    capabilities: {
      capabilities: {
        alwaysMatch: {
          "webkitgtk:browserOptions": { binary: "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser", args: ["--automation"] },
          timeouts: TIMEOUTS,
        },
      },
    },
  },
};

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The whole group is gone already.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WebKitSession implements BrowserPage {
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
  static async start(engine: WebKitEngine, register: (teardown: () => Promise<void>) => void): Promise<WebKitSession> {
    const port = await freePort();
    const [command, ...args] = ENGINES[engine].command as [string, ...string[]];
    const driver = spawn(command, [...args, `--port=${port}`], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
    const session = new WebKitSession(driver, port);
    register(() => session.close());
    const spawned = new Promise<void>((resolve, reject) => {
      driver.once("spawn", resolve);
      driver.once("error", (error) => reject(new Error(`${command} did not start: ${error.message}`)));
    });
    await spawned;
    for (let ready = false, deadline = Date.now() + 15_000; !ready;) {
      if (Date.now() > deadline) throw new Error(`${command} did not listen on port ${port} within 15 s: ${session.#stderr}`);
      ready = await fetch(`${session.#base}/status`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await sleep(50);
    }
    const created = (await session.#command("POST", "/session", ENGINES[engine].capabilities, 30_000)) as { sessionId?: string };
    if (!created?.sessionId) throw new Error(`${command} created no session: ${JSON.stringify(created)} ${session.#stderr}`);
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
    return (await this.#command("POST", this.#path("/execute/sync"), { script, args: [arg ?? null] })) as T;
  }

  frame(name: string): Pick<BrowserPage, "eval"> {
    // WebDriver runs scripts in the browsing context it is switched to, whatever its origin.
    return {
      eval: async <T, A>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> => {
        const element = await this.#command("POST", this.#path("/element"), { using: "css selector", value: `iframe[name="${name}"]` });
        await this.#command("POST", this.#path("/frame"), { id: element });
        try {
          return await this.eval(fn, arg);
        } finally {
          await this.#command("POST", this.#path("/frame"), { id: null });
        }
      },
    };
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
    // The browser, WebKit and X processes share the driver's process group, whatever became of it.
    signalGroup(pid, "SIGKILL");
  }
}
