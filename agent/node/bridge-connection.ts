// One page's connection to the bridge: the leader tab of one allowed origin. While it is
// open, it is the dispatcher of every browser scope of its origin (the agent's decisions go to
// the page as "fire", the page's outcomes come back), and it answers the page's calls on the
// agent's registrations. When it closes, its events in flight end "undelivered" (nothing is
// counted: they fire again once a page connects) and the scopes wait for the next one.

import type { AgentCall, AgentStatus } from "../agent-call.js";
import type { BrowserScope } from "../browser-scopes.js";
import { parsePageMessage, type AgentMessage, type PageMessage } from "../bridge-protocol.js";
import type { Dispatcher, DispatchResult, SyncDispatch } from "../dispatcher.js";

/** What a connection needs of the running agent. */
export interface BridgeHost {
  /** The browser scope of `url`, served from now on; throws for an origin the config does not allow. */
  scope(url: string): BrowserScope;
  /** The browser scopes served now. */
  scopes(): readonly BrowserScope[];
  /** The service worker registration of `url` was unregistered in the browser. */
  forget(url: string): Promise<void>;
  status(): AgentStatus;
  problem(line: string): void;
}

/** The socket as the connection uses it. */
export interface BridgeSocket {
  send(text: string): void;
}

export class BridgeConnection implements Dispatcher {
  readonly #origin: string;
  readonly #host: BridgeHost;
  readonly #socket: BridgeSocket;
  /** This connection's detach function per scope it is attached to. */
  readonly #attached = new Map<string, () => void>();
  readonly #inFlight = new Map<number, (result: DispatchResult) => void>();
  #next = 0;
  #closed = false;

  constructor(origin: string, host: BridgeHost, socket: BridgeSocket) {
    this.#origin = origin;
    this.#host = host;
    this.#socket = socket;
    for (const scope of host.scopes()) if (scope.origin === origin) this.#attach(scope);
  }

  #attach(scope: BrowserScope): void {
    this.#attached.set(scope.scope, scope.attach(this, "bridge"));
  }

  #send(message: AgentMessage): void {
    if (!this.#closed) this.#socket.send(JSON.stringify(message));
  }

  /** A text frame from the page. Malformed ones are one line each and change nothing. */
  receive(text: string): void {
    const message = parsePageMessage(text);
    if (typeof message === "string") return this.#host.problem(`bridge: ${this.#origin} sent a malformed message (${message}); ignored`);
    this.#handle(message);
  }

  #handle(message: PageMessage): void {
    if (message.t === "outcome") {
      const settle = this.#inFlight.get(message.id);
      if (!settle) return; // Its time limit passed, or the event was never sent: it no longer counts.
      this.#inFlight.delete(message.id);
      const { outcome, reason, retryAfterMs } = message;
      return settle({ outcome, ...(reason === undefined ? {} : { reason }), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    }
    if (message.t === "active") {
      const scope = this.#own(message.scope);
      // Attaching again releases the scope's events held since one was undelivered.
      if (typeof scope !== "string") this.#attach(scope);
      else this.#host.problem(`bridge: ${scope}`);
      return;
    }
    const { id, call } = message;
    this.#answer(call).then(
      (value) => this.#send({ t: "answer", id, ok: true, ...(value === undefined ? {} : { value }) }),
      (error: unknown) => {
        const { name, message: text } = error instanceof Error ? error : { name: "UnknownError", message: String(error) };
        this.#send({ t: "answer", id, ok: false, name, message: text });
      },
    );
  }

  /** The browser scope of `url`, served and attached to this connection; or why the page may not use it. */
  #own(url: string): BrowserScope | string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `${JSON.stringify(url)} is not a scope URL`;
    }
    if (parsed.origin !== this.#origin) return `a page of ${this.#origin} named a scope of ${parsed.origin}`;
    let scope: BrowserScope;
    try {
      scope = this.#host.scope(parsed.href);
    } catch (error) {
      return (error as Error).message;
    }
    if (!this.#attached.has(scope.scope) || scope.attachedVia === undefined) this.#attach(scope);
    return scope;
  }

  async #answer(call: AgentCall): Promise<unknown> {
    if (call.op === "status") {
      const status = this.#host.status();
      return { ...status, registrations: status.registrations.filter((r) => this.#ofOrigin(r.scope)) };
    }
    if (call.op === "forget") {
      this.#attached.get(call.scope)?.();
      this.#attached.delete(call.scope);
      return this.#ofOrigin(call.scope) ? this.#host.forget(call.scope) : undefined;
    }
    // Reading tags serves no scope: a scope the agent has no registrations for has none.
    if (call.op === "getTags" && !this.#host.scopes().some((s) => s.scope === call.scope)) {
      if (!this.#ofOrigin(call.scope)) throw new DOMException(`a page of ${this.#origin} cannot read another origin's tags`, "SecurityError");
      return [];
    }
    const scope = this.#own(call.scope);
    if (typeof scope === "string") throw new DOMException(scope, "SecurityError");
    const { sync, periodicSync } = scope.registration;
    switch (call.op) {
      case "register":
        return call.kind === "one-shot" ? sync.register(call.tag) : periodicSync.register(call.tag, { minInterval: call.minInterval });
      case "getTags":
        return call.kind === "one-shot" ? sync.getTags() : periodicSync.getTags();
      case "unregister":
        return periodicSync.unregister(call.tag);
      case "resolved":
        return scope.registration.resolved(call.kind, call.tag);
    }
  }

  #ofOrigin(url: string): boolean {
    try {
      return new URL(url).origin === this.#origin;
    } catch {
      return false;
    }
  }

  /** The Dispatcher port: the event goes to the page, whose worker runs it; its outcome comes back. */
  dispatch({ type, scope, tag, lastChance, signal }: SyncDispatch): Promise<DispatchResult> {
    if (this.#closed) return Promise.resolve({ outcome: "undelivered" });
    const id = this.#next++;
    return new Promise((resolve) => {
      const onAbort = () => {
        if (!this.#inFlight.delete(id)) return;
        this.#send({ t: "abort", id });
        resolve({ outcome: "failure", reason: "timeout" });
      };
      this.#inFlight.set(id, (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      });
      signal.addEventListener("abort", onAbort, { once: true });
      this.#send({ t: "fire", id, scope, type, tag, lastChance });
    });
  }

  /** The page went away: its scopes wait for the next connection, and its events in flight count nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const detach of this.#attached.values()) detach();
    this.#attached.clear();
    for (const settle of this.#inFlight.values()) settle({ outcome: "undelivered" });
    this.#inFlight.clear();
  }
}
