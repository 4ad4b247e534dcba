// Every tab's way to the one Agent of its origin. The leader tab (see LeaderElection) runs
// it and answers calls that the other tabs, and the origin's dedicated and shared workers
// (which never lead), post on a BroadcastChannel; a tab that leads calls it directly. A call whose answer has not come when a new leader announces itself
// (the old one closed mid-call) is posted again: register() and getTags() may run twice,
// which coalesces, but a call is never lost.

import { DISABLED } from "../web-api/register-errors.js";
import { LeaderElection } from "./leader-election.js";
import type { AgentCall } from "./page-agent.js";
import { answerError, errorAnswer } from "./worker-protocol.js";

export type AgentHandler = (call: AgentCall) => Promise<unknown>;

/** The Web Lock that the leader holds and the BroadcastChannel of the origin's calls. */
export const AGENT_CHANNEL = "syncward-agent";

export const NO_PAGE_SCRIPT = "No window client of this origin runs syncward's page script, so no agent can take this call.";

type Wire =
  | { t: "call"; id: string; from: string; call: AgentCall }
  | { t: "answer"; id: string; to: string; ok: true; value: unknown }
  | { t: "answer"; id: string; to: string; ok: false; name: string; message: string }
  | { t: "leader" };

interface Pending {
  call: AgentCall;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class LeaderLink {
  readonly #tab = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  readonly #channel: BroadcastChannel;
  readonly #election: LeaderElection | undefined;
  readonly #pending = new Map<string, Pending>();
  #next = 0;
  #handler: Promise<AgentHandler> | undefined;

  /**
   * `lead` starts the Agent when this tab is elected; if it fails, calls reject "Background
   * Sync is disabled.". Without `lead` this realm never stands: its calls wait for a leader.
   */
  constructor(name: string, lead: (() => Promise<AgentHandler>) | undefined, problem: (line: string) => void) {
    this.#channel = new BroadcastChannel(name);
    this.#channel.onmessage = (event: MessageEvent<Wire>) => this.#receive(event.data);
    this.#election =
      lead &&
      new LeaderElection(name, () => {
        this.#handler = lead().catch((error: Error) => {
          problem(`the agent could not start: ${error.message}`);
          return () => Promise.reject(new DOMException(DISABLED, "UnknownError"));
        });
        // Calls this tab posted while nobody led are now this tab's own.
        for (const [id, pending] of this.#pending) {
          this.#pending.delete(id);
          this.#handler.then((handle) => handle(pending.call)).then(pending.resolve, pending.reject);
        }
        this.#channel.postMessage({ t: "leader" } satisfies Wire);
      });
  }

  /** Whether this tab runs the Agent. */
  get leading(): boolean {
    return this.#handler !== undefined;
  }

  call(call: AgentCall): Promise<unknown> {
    if (this.#handler) return this.#handler.then((handle) => handle(call));
    return new Promise((resolve, reject) => {
      const id = `${this.#tab}:${this.#next++}`;
      this.#pending.set(id, { call, resolve, reject });
      this.#channel.postMessage({ t: "call", id, from: this.#tab, call } satisfies Wire);
    });
  }

  #receive(wire: Wire): void {
    if (wire.t === "call") {
      const handler = this.#handler;
      if (!handler) return;
      const answer = (reply: Wire) => this.#channel.postMessage(reply);
      handler
        .then((handle) => handle(wire.call))
        .then(
          (value) => answer({ t: "answer", id: wire.id, to: wire.from, ok: true, value }),
          (error: unknown) => answer({ t: "answer", id: wire.id, to: wire.from, ...(errorAnswer(error) as { ok: false; name: string; message: string }) }),
        );
    } else if (wire.t === "answer") {
      if (wire.to !== this.#tab) return;
      const pending = this.#pending.get(wire.id);
      if (!pending) return;
      this.#pending.delete(wire.id);
      if (wire.ok) pending.resolve(wire.value);
      else pending.reject(answerError(wire));
    } else if (wire.t === "leader") {
      for (const [id, pending] of this.#pending) this.#channel.postMessage({ t: "call", id, from: this.#tab, call: pending.call } satisfies Wire);
    }
  }

  close(): void {
    this.#election?.close();
    this.#channel.close();
  }
}
