// A DevTools protocol session with a Chromium-family browser, over its WebSocket
// (`--remote-debugging-port`) or its pipes (`--remote-debugging-pipe`), in flattened sessions:
// commands to the browser or to an attached target's session, events from both. A malformed
// message is a log line, never a throw.

import type { DevToolsTransport } from "./devtools-transport.js";
import { DevToolsWebSocket } from "./devtools-websocket.js";

/** A DevTools event: `sessionId` is absent for the browser's own. */
export type DevToolsListener = (params: Record<string, unknown>, sessionId: string | undefined) => void;

interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
}

/**
 * How long a command may wait for its answer. Generous: Runtime.evaluate of a sync event's
 * outcome waits as long as the listeners do, and is given its own limit by its caller.
 */
const ANSWER_MS = 60_000;

/** A command the browser answered with an error (`code`, `message` of the protocol). */
export class DevToolsError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`${method}: ${message}`);
  }
}

export class DevToolsConnection {
  readonly #transport: DevToolsTransport;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<string, DevToolsListener[]>();
  readonly #log: (line: string) => void;
  #nextId = 1;
  #closed: Promise<void>;

  /** Speak the protocol over `transport` (the browser's pipes, or a WebSocket). */
  constructor(transport: DevToolsTransport, log: (line: string) => void) {
    this.#transport = transport;
    this.#log = log;
    transport.onMessage((text) => this.#receive(text));
    this.#closed = transport.closed.then(() => {
      for (const pending of this.#pending.values()) pending.reject(new Error("the DevTools connection closed"));
      this.#pending.clear();
    });
  }

  /** Connect to `endpoint` (http://host:port or the browser's ws:// URL). */
  static async open(endpoint: string, log: (line: string) => void, timeoutMs = 5_000): Promise<DevToolsConnection> {
    return new DevToolsConnection(await DevToolsWebSocket.connect(endpoint, log, timeoutMs), log);
  }

  /** Resolves when the connection is gone (browser exit, close()). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Send a command; rejects with the browser's error, or when no answer came in `timeoutMs` (0: wait as long as the connection lasts). */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = ANSWER_MS): Promise<Record<string, unknown>> {
    if (!this.#transport.open) return Promise.reject(new DevToolsError(method, "the DevTools connection is closed"));
    const id = this.#nextId++;
    this.#transport.send(JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }));
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.#pending.get(id)?.reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs) : undefined;
      this.#pending.set(id, {
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          this.#pending.delete(id);
          reject(new DevToolsError(method, error.message));
        },
      });
    });
  }

  on(method: string, listener: DevToolsListener): void {
    const list = this.#listeners.get(method) ?? [];
    list.push(listener);
    this.#listeners.set(method, list);
  }

  close(): Promise<void> {
    void this.#transport.close();
    return this.#closed;
  }

  #receive(text: string): void {
    let message: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: { message?: unknown }; sessionId?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return this.#log(`ignored a DevTools message that is not JSON: ${text.slice(0, 200)}`);
    }
    if (typeof message !== "object" || message === null) return this.#log(`ignored a malformed DevTools message: ${text.slice(0, 200)}`);
    if (typeof message.id === "number") {
      const pending = this.#pending.get(message.id);
      if (!pending) return this.#log(`ignored a DevTools answer to no command (id ${message.id})`);
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(String(message.error.message ?? "error")));
      else pending.resolve(isRecord(message.result) ? message.result : {});
      return;
    }
    if (typeof message.method !== "string" || !isRecord(message.params)) return this.#log(`ignored a malformed DevTools message: ${text.slice(0, 200)}`);
    const sessionId = typeof message.sessionId === "string" ? message.sessionId : undefined;
    for (const listener of this.#listeners.get(message.method) ?? []) {
      try {
        listener(message.params, sessionId);
      } catch (error) {
        this.#log(`DevTools event ${message.method} could not be handled: ${(error as Error).message}`);
      }
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
