// The outbox demo's server as the browser tests and the benchmark run it: a chosen page
// configuration, the test hooks appended to the demo's worker (tests/browser/fixtures/
// sw-hooks.js), every sync event the worker saw (POST /events), the verdict that ends each
// "test-" event (GET /verdict: success, failure, or held until released), and the tests'
// other fixtures (FIXTURES) at the root.

import { readFileSync, existsSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Aedes } from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";
import type { DemoServer } from "../../../examples/browser/server.mjs";

/** What the worker's hooks report. */
export interface WorkerRecord {
  kind: "sync" | "onsync" | "periodicsync" | "onperiodicsync" | "register" | "register-alone" | "ping" | "eval" | "install-register";
  tag: string;
  /** performance.timeOrigin + performance.now() in the worker when the listener started: the machine's wall clock, as the test's. */
  at: number;
  lastChance?: boolean;
  extendable?: boolean;
  result?: { ok: true; value?: unknown } | { ok: false; name: string; message: string };
  tags?: { ok: true; value: string[] } | { ok: false; name: string; message: string };
}

/** "overloaded": 429 with `Retry-After: 2`, which the hooks reject waitUntil with. */
export type Verdict = "success" | "failure" | "overloaded" | "hold";

/** The repository's root (this file runs from agent/… in tests and from build/dist/agent/… in the benchmark). */
function repositoryRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "examples/browser/server.mjs"))) return dir;
  }
  throw new Error("cannot find the repository root (examples/browser/server.mjs)");
}

/**
 * Served at /NAME: two frames of the app (two-frames.html), the app framed by another origin
 * (embed.html), a dedicated or shared worker that runs a test's function (worker-eval.js),
 * syncward's page script without the app, which registers no service worker (page-only.html),
 * the app's worker and a native registration of ?tag= (periodic with ?periodic=) as it loads,
 * or once the held verdict of ?after= is released (register.html).
 */
const FIXTURES = ["two-frames.html", "embed.html", "worker-eval.js", "page-only.html", "register.html"];

/** An MQTT broker (aedes) answering WebSocket connections at /mqtt on the test server. */
interface Broker {
  broker: Aedes;
  sockets: WebSocketServer;
}

export class SyncTestServer {
  readonly records: WorkerRecord[] = [];
  readonly #demo: DemoServer;
  readonly #verdicts = new Map<string, Verdict>();
  readonly #held = new Map<string, ServerResponse[]>();
  /** Tags whose verdict request was answered, in order. */
  readonly answered: { tag: string; status: number }[] = [];

  readonly #fixtures: ReadonlyMap<string, string>;
  #mqtt: Broker | undefined;

  private constructor(demo: DemoServer, fixtures: ReadonlyMap<string, string>) {
    this.#demo = demo;
    this.#fixtures = fixtures;
  }

  static async start(config: unknown): Promise<SyncTestServer> {
    const root = repositoryRoot();
    const { startDemoServer } = (await import(
      pathToFileURL(join(root, "examples/browser/server.mjs")).href
    )) as typeof import("../../../examples/browser/server.mjs");
    const hooks = readFileSync(join(root, "tests/browser/fixtures/sw-hooks.js"), "utf8");
    const fixtures = new Map(FIXTURES.map((name) => [`/${name}`, readFileSync(join(root, "tests/browser/fixtures", name), "utf8")]));
    let server: SyncTestServer | undefined;
    const demo = await startDemoServer({
      config,
      serviceWorkerSuffix: `\n${hooks}`,
      routes: (request, response, body, url) => (server ? server.#route(request.method ?? "GET", url, body, response) : false),
    });
    server = new SyncTestServer(demo, fixtures);
    if (!existsSync(join(root, "dist/page.js")) || !existsSync(join(root, "dist/sw.js"))) {
      await demo.close();
      throw new Error("dist/page.js or dist/sw.js is missing: run npm run build:browser");
    }
    return server;
  }

  #route(method: string, url: URL, body: string, response: ServerResponse): boolean {
    if (url.pathname === "/events" && method === "POST") {
      try {
        this.records.push(JSON.parse(body) as WorkerRecord);
      } catch {
        // Not from the hooks; ignored.
      }
      response.writeHead(204).end();
      return true;
    }
    if (url.pathname === "/verdict") {
      const tag = url.searchParams.get("tag") ?? "";
      const verdict = this.#verdicts.get(tag) ?? "success";
      if (verdict === "hold") {
        const held = this.#held.get(tag) ?? [];
        held.push(response);
        this.#held.set(tag, held);
      } else this.#answer(tag, response, verdict);
      return true;
    }
    const fixture = this.#fixtures.get(url.pathname);
    if (fixture !== undefined) {
      const type = url.pathname.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
      response.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(fixture);
      return true;
    }
    return false;
  }

  #answer(tag: string, response: ServerResponse, verdict: Exclude<Verdict, "hold">): void {
    const status = verdict === "success" ? 200 : verdict === "overloaded" ? 429 : 500;
    this.answered.push({ tag, status });
    response.writeHead(status, { "cache-control": "no-store", ...(verdict === "overloaded" ? { "retry-after": "2" } : {}) }).end();
  }

  get url(): string {
    return this.#demo.url;
  }

  get origin(): string {
    return new URL(this.#demo.url).origin;
  }

  /** The demo server's state: `health` (the probe's target), `outboxStatus`, `outbox`, `config`. */
  get state(): DemoServer["state"] {
    return this.#demo.state;
  }

  get servers(): DemoServer["servers"] {
    return this.#demo.servers;
  }

  /** How events of `tag` end from now on; a held event ends when released. */
  verdict(tag: string, verdict: Verdict): void {
    this.#verdicts.set(tag, verdict);
  }

  /** End the held events of `tag` (and later ones) with `verdict`. */
  release(tag: string, verdict: "success" | "failure"): void {
    this.#verdicts.set(tag, verdict);
    for (const response of this.#held.get(tag) ?? []) this.#answer(tag, response, verdict);
    this.#held.delete(tag);
  }

  held(tag: string): number {
    return this.#held.get(tag)?.length ?? 0;
  }

  /** The sync events the worker saw for `tag`, in order. */
  syncs(tag: string): WorkerRecord[] {
    return this.records.filter((r) => r.kind === "sync" && r.tag === tag);
  }

  /** The periodicsync events the worker saw for `tag`, in order. */
  periodicSyncs(tag: string): WorkerRecord[] {
    return this.records.filter((r) => r.kind === "periodicsync" && r.tag === tag);
  }

  /** Poll until `probe` returns something other than undefined/false; `what` names it in the timeout error. */
  async until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Start an MQTT broker at ws://localhost:PORT/mqtt (MQTT over WebSocket, as a page speaks it); returns that URL. */
  async startBroker(): Promise<string> {
    if (!this.#mqtt) {
      const broker = await Aedes.createBroker();
      const sockets = new WebSocketServer({ noServer: true });
      sockets.on("connection", (socket) => broker.handle(createWebSocketStream(socket)));
      for (const server of this.servers) {
        server.on("upgrade", (request, socket, head) => {
          if (new URL(request.url ?? "/", "http://localhost").pathname !== "/mqtt") return socket.destroy();
          sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit("connection", ws, request));
        });
      }
      this.#mqtt = { broker, sockets };
    }
    return `ws://localhost:${this.#demo.port}/mqtt`;
  }

  /** Publish a retained message on the broker, as a backend's status publisher would. */
  publishRetained(topic: string, payload: string): Promise<void> {
    const broker = this.#mqtt?.broker;
    if (!broker) return Promise.reject(new Error("no broker: call startBroker() first"));
    return new Promise((resolve, reject) => {
      broker.publish({ cmd: "publish", topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  async close(): Promise<void> {
    for (const [tag] of this.#held) this.release(tag, "success");
    if (this.#mqtt) {
      const { broker, sockets } = this.#mqtt;
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
    await this.#demo.close();
  }
}
