// Who decides for the leader tab's origin. With a bridge configured and the device's
// `syncward agent` reachable, the agent does: it owns the registrations (its store outlives
// the browser's profile), its connectivity says "online", its core decides retries, and this
// tab only relays the events to the workers and the outcomes back (BridgeClient). Without it,
// the tab's own PageAgent decides, as without a bridge, and nothing is lost: the tab keeps
// trying the bridge, and once it answers, the registrations the page stored meanwhile are
// handed to the agent and removed from the page's store.
//
// Handing over is at least once: a registration is removed from the page's store only once
// the agent has made it durable, so a tab closed in between hands it over again next time,
// where it coalesces with the agent's copy (or fires once more if that one completed).

import type { AgentCall, AgentStatus } from "../agent-call.js";
import { DISABLED } from "../web-api/register-errors.js";
import { BridgeClient, BridgeLost } from "./bridge-client.js";
import { IndexedDBStore } from "./indexeddb-store.js";
import type { PageAgent } from "./page-agent.js";
import type { PageBridgeConfig } from "./page-config.js";

/** Whose decisions the origin's registrations follow now. */
type Authority = { bridge: BridgeClient } | { own: PageAgent } | { disabled: true };

/** What `status()` answers: the Agent's status and who gave it. */
export type LeaderStatus = AgentStatus & { decidedBy: "device agent" | "page" };

const CONNECT_TIMEOUT_MS = 2000;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 4000;

export class LeaderAgent {
  readonly #bridge: PageBridgeConfig | undefined;
  readonly #startOwn: () => Promise<PageAgent>;
  readonly #problem: (line: string) => void;
  #authority: Promise<Authority>;
  #retryIn = RETRY_FIRST_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** `startOwn` starts the tab's own Agent, for when the device agent is not there (or no bridge is configured). */
  constructor(bridge: PageBridgeConfig | undefined, startOwn: () => Promise<PageAgent>, problem: (line: string) => void) {
    this.#bridge = bridge;
    this.#startOwn = startOwn;
    this.#problem = problem;
    this.#authority = bridge ? this.#connect().then((client) => (client ? this.#adopt(client) : this.#fallBack())) : this.#own();
  }

  async #own(): Promise<Authority> {
    try {
      return { own: await this.#startOwn() };
    } catch (error) {
      this.#problem(`the agent could not start: ${(error as Error).message}`);
      return { disabled: true };
    }
  }

  /** The bridge as configured, or undefined when it does not answer (the agent logs why it refused, if it did). */
  async #connect(): Promise<BridgeClient | undefined> {
    try {
      let bridge = this.#bridge!;
      if ("from" in bridge) {
        const response = await fetch(bridge.from, { cache: "no-store" });
        if (!response.ok) throw new Error(`${bridge.from} answered ${response.status}`);
        bridge = (await response.json()) as { url: string; token: string };
      }
      return await BridgeClient.connect(bridge.url, bridge.token, this.#problem, CONNECT_TIMEOUT_MS);
    } catch {
      return undefined;
    }
  }

  /** The device agent decides from now on; what the page stored meanwhile is handed to it first. */
  async #adopt(client: BridgeClient): Promise<Authority> {
    try {
      await this.#handOver(client);
    } catch (error) {
      if (!(error instanceof BridgeLost)) throw error;
      return this.#fallBack();
    }
    this.#retryIn = RETRY_FIRST_MS;
    client.onClose = () => this.#switch(() => this.#fallBack());
    return { bridge: client };
  }

  /** The page's own Agent decides, and the bridge is tried again in a while. */
  #fallBack(): Promise<Authority> {
    if (!this.#closed) {
      this.#retry = setTimeout(() => void this.#tryAgain(), this.#retryIn);
      this.#retryIn = Math.min(this.#retryIn * 2, RETRY_MAX_MS);
    }
    return this.#own();
  }

  async #tryAgain(): Promise<void> {
    const client = await this.#connect();
    if (this.#closed) return client?.close();
    if (client) this.#switch(() => this.#adopt(client));
    else this.#retry = setTimeout(() => void this.#tryAgain(), (this.#retryIn = Math.min(this.#retryIn * 2, RETRY_MAX_MS)));
  }

  /** Hand over to `next` once the current authority is let go: calls meanwhile wait for `next`. */
  #switch(next: () => Promise<Authority>): void {
    const previous = this.#authority;
    this.#authority = previous.then(async (authority) => {
      if ("own" in authority) await authority.own.close();
      return this.#closed ? { disabled: true } : next();
    });
  }

  async #handOver(client: BridgeClient): Promise<void> {
    const store = new IndexedDBStore();
    try {
      const { registrations } = await store.load();
      const handed = new Map<string, null>();
      await Promise.all(
        [...registrations].map(async ([key, r]) => {
          try {
            await client.call({ op: "register", scope: r.scope, kind: r.kind, tag: r.tag, minInterval: r.minInterval });
            // Its register() resolved long ago, in this browser.
            await client.call({ op: "resolved", scope: r.scope, kind: r.kind, tag: r.tag });
            handed.set(key, null);
          } catch (error) {
            if (error instanceof BridgeLost) throw error;
            this.#problem(`could not hand "${r.tag}" of ${r.scope} to the device agent (${(error as Error).message}); it stays in this browser`);
          }
        }),
      );
      if (handed.size > 0) await store.commit(handed);
    } finally {
      await store.close();
    }
  }

  async handle(call: AgentCall): Promise<unknown> {
    for (;;) {
      const authority = await this.#authority;
      if ("disabled" in authority) throw new DOMException(DISABLED, "UnknownError");
      if ("own" in authority) {
        const answer = await authority.own.handle(call);
        return call.op === "status" ? { ...(answer as AgentStatus), decidedBy: "page" } : answer;
      }
      try {
        const answer = await authority.bridge.call(call);
        return call.op === "status" ? { ...(answer as AgentStatus), decidedBy: "device agent" } : answer;
      } catch (error) {
        // The agent went away mid-call: the next authority takes it (a register() may then
        // reach both; they coalesce when handed over).
        if (!(error instanceof BridgeLost)) throw error;
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const authority = await this.#authority;
    if ("own" in authority) await authority.own.close();
    if ("bridge" in authority) authority.bridge.close();
  }
}
