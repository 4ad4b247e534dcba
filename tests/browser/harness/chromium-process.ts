// Chromium as a kiosk runs it for `syncward agent`: its own process with the DevTools port open
// (--remote-debugging-port, the port read from its first line) and a profile directory,
// with no other DevTools client attached (playwright's would resume each new service worker
// before the agent's hook is in). The tests drive the app's page over a DevTools connection
// of their own.

import { spawn, type ChildProcess } from "node:child_process";
import { DevToolsConnection } from "../../../agent/node/devtools-connection.js";

export const BINARY = "/usr/lib/chromium/chromium";
/** A kiosk's switches, headless: also for a Chromium the agent launches itself (`--browser-launch`). */
export const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export class ChromiumProcess {
  readonly #process: ChildProcess;
  readonly endpoint: string;
  readonly #driver: DevToolsConnection;

  private constructor(process: ChildProcess, endpoint: string, driver: DevToolsConnection) {
    this.#process = process;
    this.endpoint = endpoint;
    this.#driver = driver;
  }

  /** Start Chromium on `profile`; `port` 0 (default): any free DevTools port. */
  static async launch(profile: string, args: string[] = [], port = 0): Promise<ChromiumProcess> {
    const child = spawn(BINARY, [...ARGS, `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, ...args, "about:blank"], {
      stdio: ["ignore", "ignore", "pipe"],
      // Its own process group: close() ends Chromium's helpers with it.
      detached: true,
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += String(chunk)));
    // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…" (DevToolsActivePort is written only for port 0).
    let opened: string | undefined;
    for (const deadline = Date.now() + 30_000; (opened = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)?.[1]) === undefined;) {
      if (Date.now() > deadline || child.exitCode !== null) {
        killGroup(child);
        throw new Error(`Chromium did not open its DevTools port: ${stderr.slice(-500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const endpoint = `http://127.0.0.1:${opened}`;
    return new ChromiumProcess(child, endpoint, await DevToolsConnection.open(endpoint, () => {}));
  }

  get port(): number {
    return Number(new URL(this.endpoint).port);
  }

  /** Open `url` in a tab; resolves once its service worker is active. */
  async open(url: string): Promise<AppPage> {
    const { targetId } = await this.#driver.send("Target.createTarget", { url });
    const sessionId = String((await this.#driver.send("Target.attachToTarget", { targetId, flatten: true })).sessionId);
    const page = new AppPage(this.#driver, String(targetId), sessionId);
    for (const deadline = Date.now() + 30_000; (await page.eval("location.href")) !== url; await new Promise((r) => setTimeout(r, 25)))
      if (Date.now() > deadline) throw new Error(`the tab did not load ${url}`);
    await page.eval("navigator.serviceWorker.ready.then(() => true)");
    return page;
  }

  /** End Chromium and its helper processes; resolves once the browser has exited. */
  async close(): Promise<void> {
    await this.#driver.close();
    if (this.#process.exitCode === null) {
      const exited = new Promise((resolve) => this.#process.once("exit", resolve));
      process.kill(-this.#process.pid!, "SIGTERM");
      await exited;
    }
    killGroup(this.#process);
  }
}

export class AppPage {
  constructor(
    readonly driver: DevToolsConnection,
    readonly targetId: string,
    readonly sessionId: string,
  ) {}

  /** Evaluate `expression` in the page (promises awaited); its value, or the exception's text. */
  async eval(expression: string): Promise<unknown> {
    const answer = (await this.driver.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }, this.sessionId)) as {
      result?: { value?: unknown };
      exceptionDetails?: { exception?: { description?: string } };
    };
    if (answer.exceptionDetails) throw new Error(answer.exceptionDetails.exception?.description ?? "exception");
    return answer.result?.value;
  }

  /** The page's native register(tag): "registered", or the rejection's name and message. */
  register(tag: string): Promise<unknown> {
    return this.eval(
      `navigator.serviceWorker.ready.then((r) => r.sync.register(${JSON.stringify(tag)})).then(() => "registered", (e) => e.name + ": " + e.message)`,
    );
  }

  /** The page's native periodicSync.register(tag, { minInterval }): "registered", or the rejection's name and message. */
  registerPeriodic(tag: string, minInterval: number): Promise<unknown> {
    return this.eval(
      `navigator.serviceWorker.ready.then((r) => r.periodicSync.register(${JSON.stringify(tag)}, { minInterval: ${minInterval} })).then(() => "registered", (e) => e.name + ": " + e.message)`,
    );
  }

  /** Stop every service worker, as Chromium does to an idle one (DevTools' "Stop"). */
  async stopWorkers(): Promise<void> {
    await this.driver.send("ServiceWorker.enable", {}, this.sessionId);
    await this.driver.send("ServiceWorker.stopAllWorkers", {}, this.sessionId);
  }

  async close(): Promise<void> {
    await this.driver.send("Target.closeTarget", { targetId: this.targetId });
  }
}

/** SIGKILL what is left of Chromium's process group (its helpers, the crash handler). */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}
