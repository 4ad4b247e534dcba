// DevTools messages over the WebSocket of a browser's `--remote-debugging-port`. The endpoint's
// HTTP side names the socket (`/json/version` → webSocketDebuggerUrl).

import WebSocket from "ws";
import type { DevToolsTransport } from "./devtools-transport.js";

/** The browser's WebSocket URL: `endpoint` is one already, or the HTTP address that names it. */
export async function browserSocketUrl(endpoint: string, timeoutMs: number): Promise<string> {
  if (/^wss?:/.test(endpoint)) return endpoint;
  const response = await fetch(new URL("/json/version", endpoint), { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${endpoint}/json/version answered ${response.status}`);
  const url = ((await response.json()) as { webSocketDebuggerUrl?: unknown }).webSocketDebuggerUrl;
  if (typeof url !== "string") throw new Error(`${endpoint}/json/version names no webSocketDebuggerUrl`);
  return url;
}

export class DevToolsWebSocket implements DevToolsTransport {
  readonly #socket: WebSocket;
  readonly closed: Promise<void>;
  /** Messages that came before the connection listened (with the handshake). */
  #early: string[] | undefined = [];
  #receive: (message: string) => void = (message) => this.#early?.push(message);

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data) => this.#receive(String(data)));
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  /** Connect to `endpoint` (http://host:port or the browser's ws:// URL); socket errors after the handshake are `log` lines. */
  static async connect(endpoint: string, log: (line: string) => void, timeoutMs: number): Promise<DevToolsWebSocket> {
    const url = await browserSocketUrl(endpoint, timeoutMs);
    // Chromium sends large messages (target lists) and no compression; 256 MiB is its own cap.
    const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024, handshakeTimeout: timeoutMs });
    // Listening before the handshake ends: frames that came with it are kept for the connection.
    const transport = new DevToolsWebSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    socket.on("error", (error) => log(`DevTools connection: ${error.message}`));
    return transport;
  }

  get open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  send(message: string): void {
    this.#socket.send(message);
  }

  onMessage(receive: (message: string) => void): void {
    this.#receive = receive;
    for (const message of this.#early?.splice(0) ?? []) receive(message);
    this.#early = undefined;
  }

  close(): Promise<void> {
    this.#socket.close();
    return this.closed;
  }
}
