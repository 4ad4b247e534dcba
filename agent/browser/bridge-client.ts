// The leader tab's end of the page bridge (the wire: agent/bridge-protocol.ts). It forwards the
// origin's calls to the device's agent and runs the agent's decisions in the service workers:
// a "fire" goes to the scope's active worker through the WorkerDispatcher, exactly as the
// page's own Agent would send it, and the outcome goes back. A scope with no active worker
// (the profile was wiped and the app has not registered its worker again yet) answers
// "undelivered", and the agent holds its events until this tab says the worker is active.

import type { AgentCall } from "../agent-call.js";
import { BRIDGE_PROTOCOL, parseAgentMessage, TOKEN_PREFIX, type AgentMessage, type PageMessage } from "../bridge-protocol.js";
import { EventAbort } from "../event-signal.js";
import { WorkerDispatcher } from "./worker-dispatcher.js";
import { answerError } from "./worker-protocol.js";

/** A call that was in flight when the bridge closed: the agent may or may not have done it. */
export class BridgeLost extends Error {
  override name = "BridgeLost";
}

/** How often a scope held for want of an active worker is looked at again. */
const ACTIVE_POLL_MS = 250;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class BridgeClient {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #events = new Map<number, EventAbort>();
  /** Scopes whose events the agent holds until their worker is active; each with its poll timer. */
  readonly #held = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #container: ServiceWorkerContainer;
  #next = 0;
  #closed = false;
  #onClose: () => void = () => {};

  private constructor(socket: WebSocket, container: ServiceWorkerContainer, problem: (line: string) => void) {
    this.#socket = socket;
    this.#container = container;
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== "string") return problem("bridge: the agent sent a binary frame; ignored");
      const message = parseAgentMessage(event.data);
      if (typeof message === "string") problem(`bridge: the agent sent a malformed message (${message}); ignored`);
      else this.#receive(message);
    };
    socket.onclose = () => this.#lost();
  }

  /** Open the bridge at `url` with `token`; rejects if the agent is not there or refuses (within `timeoutMs`). */
  static connect(url: string, token: string, problem: (line: string) => void, timeoutMs: number): Promise<BridgeClient> {
    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(url, [BRIDGE_PROTOCOL, TOKEN_PREFIX + token]);
      } catch (error) {
        return reject(error as Error);
      }
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error(`no answer from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(new BridgeClient(socket, navigator.serviceWorker, problem));
      };
      // A refusal (wrong token or origin) and an agent that is not running look alike here:
      // the browser tells a page nothing more. The agent logs which it was.
      socket.onclose = () => {
        clearTimeout(timer);
        reject(new Error(`the device agent at ${url} is not there, or refused this page`));
      };
    });
  }

  /** Called once, when the bridge closes (the agent stopped or restarted). */
  set onClose(handler: () => void) {
    this.#onClose = handler;
  }

  get open(): boolean {
    return !this.#closed;
  }

  #send(message: PageMessage): void {
    if (!this.#closed) this.#socket.send(JSON.stringify(message));
  }

  /** The agent's answer; rejects with the agent's exception, or BridgeLost if the bridge closes first. */
  call(call: AgentCall): Promise<unknown> {
    if (this.#closed) return Promise.reject(new BridgeLost("the bridge is closed"));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send({ t: "call", id, call });
    });
  }

  #receive(message: AgentMessage): void {
    if (message.t === "answer") {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(answerError(message));
    } else if (message.t === "abort") {
      this.#events.get(message.id)?.abort();
    } else {
      void this.#fire(message);
    }
  }

  async #fire({ id, scope, type, tag, lastChance }: Extract<AgentMessage, { t: "fire" }>): Promise<void> {
    const abort = new EventAbort();
    this.#events.set(id, abort);
    try {
      const registration = (await this.#container.getRegistrations()).find((r) => r.scope === scope);
      if (!registration) {
        this.#hold(scope);
        return this.#send({ t: "outcome", id, outcome: "undelivered" });
      }
      const dispatcher = new WorkerDispatcher({ registration: () => Promise.resolve(registration), inactive: () => this.#hold(scope) });
      const result = await dispatcher.dispatch({ type, scope, tag, lastChance, signal: abort.signal });
      if (!abort.aborted) this.#send({ t: "outcome", id, ...result });
    } catch (error) {
      // The browser failed us (getRegistrations() rejected, the worker could not be posted to): a failed attempt.
      this.#send({ t: "outcome", id, outcome: "failure", reason: `failed: ${(error as Error).message}` });
    } finally {
      this.#events.delete(id);
    }
  }

  /** Watch `scope` until it has an active worker, then tell the agent (which holds its events meanwhile). */
  #hold(scope: string): void {
    if (this.#held.has(scope) || this.#closed) return;
    const look = async () => {
      const registration = (await this.#container.getRegistrations()).find((r) => r.scope === scope);
      if (this.#closed || !this.#held.has(scope)) return;
      if (registration?.active) {
        this.#held.delete(scope);
        this.#send({ t: "active", scope });
      } else this.#held.set(scope, setTimeout(look, ACTIVE_POLL_MS));
    };
    this.#held.set(scope, setTimeout(look, ACTIVE_POLL_MS));
  }

  #lost(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#held.values()) clearTimeout(timer);
    this.#held.clear();
    for (const abort of this.#events.values()) abort.abort();
    for (const pending of this.#pending.values()) pending.reject(new BridgeLost("the bridge closed before the agent answered"));
    this.#pending.clear();
    this.#onClose();
  }

  close(): void {
    this.#socket.close();
    this.#lost();
  }
}
