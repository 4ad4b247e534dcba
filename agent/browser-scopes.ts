// Service worker registrations whose workers run in a browser but whose sync registrations the
// device's Agent owns: its store keeps them (they outlive the browser and its profile), its
// connectivity decides "online", its core decides retries. The browser only runs the handlers,
// reached through a dispatcher attached per scope (the page bridge, the DevTools protocol).
//
// BrowserScopes is the Agent's dispatcher: it routes each event by scope, to the dispatcher
// attached for a browser scope, or to `others` (the Node service worker host) for every other
// scope. A browser scope with nothing attached answers "undelivered": nothing is counted and
// the scope's events wait, as the Dispatcher contract says, until a dispatcher attaches.

import type { Agent, AgentServiceWorker } from "./agent.js";
import type { Dispatcher, DispatchResult, SyncDispatch } from "./dispatcher.js";

/** One browser-hosted service worker registration, served by the device's Agent. */
export interface BrowserScope {
  /** The scope URL, normalized. */
  readonly scope: string;
  readonly origin: string;
  /**
   * The Agent's side of the registration: `sync`, `periodicSync`, `resolved()` (the caller in
   * the browser confirms its register() resolved before the event may follow) and `unregister()`.
   */
  readonly registration: AgentServiceWorker;
  /** What delivers the scope's events now ("bridge", "devtools", …), or undefined: they wait. */
  readonly attachedVia: string | undefined;
  /**
   * Deliver the scope's events through `dispatcher` (named `via` in listings) until the
   * returned function is called. Attaching replaces the dispatcher attached before; events
   * held while none was attached are released at once.
   */
  attach(dispatcher: Dispatcher, via: string): () => void;
}

interface Attached {
  dispatcher: Dispatcher;
  via: string;
}

class Scope implements BrowserScope {
  attached: Attached | undefined;
  /** Set right after the scope is in the map: adding it to the Agent can dispatch its stored registrations at once. */
  registration!: AgentServiceWorker;

  constructor(
    readonly scope: string,
    readonly origin: string,
    readonly online: () => boolean,
  ) {}

  get attachedVia(): string | undefined {
    return this.attached?.via;
  }

  attach(dispatcher: Dispatcher, via: string): () => void {
    const attached: Attached = { dispatcher, via };
    this.attached = attached;
    dispatcher.onlineChanged?.(this.online());
    // An undelivered event took the scope's events away; a dispatcher brings them back.
    this.registration.setActive(true);
    return () => {
      if (this.attached !== attached) return;
      this.attached = undefined;
      this.registration.setActive(false);
    };
  }
}

export class BrowserScopes implements Dispatcher {
  readonly #others: Dispatcher;
  readonly #scopes = new Map<string, Scope>();
  #agent: Agent | undefined;

  /** `others` takes the events of every scope not added here. */
  constructor(others: Dispatcher) {
    this.#others = others;
  }

  /** The Agent built with this as its dispatcher; set once, before the first add(). */
  serve(agent: Agent): void {
    this.#agent = agent;
  }

  /**
   * Serve the browser-hosted registration of `scope` (an absolute URL), or return the one
   * served. Its stored sync registrations come back now, and wait for a dispatcher.
   */
  add(scope: string): BrowserScope {
    const url = new URL(scope);
    const known = this.#scopes.get(url.href);
    if (known) return known;
    const agent = this.#agent;
    if (!agent) throw new Error("BrowserScopes.serve(agent) was not called");
    const entry = new Scope(url.href, url.origin, () => agent.online);
    // In the map first, so that its stored registrations, fired as it is added, are routed to
    // it (and wait for a dispatcher) rather than to the Node host.
    this.#scopes.set(url.href, entry);
    // The browser made the checks before it called (an active worker, a top-level window),
    // and confirms when its register() resolved. Inactive until a dispatcher attaches:
    // register() meanwhile rejects InvalidStateError, as with no active worker.
    try {
      entry.registration = agent.addServiceWorker(url.href, { active: false, hasWindowClient: () => true, confirmsResolution: true });
    } catch (error) {
      this.#scopes.delete(url.href);
      throw error;
    }
    return entry;
  }

  get(scope: string): BrowserScope | undefined {
    return this.#scopes.get(scope);
  }

  /** Every browser scope served, in the order they were added. */
  list(): BrowserScope[] {
    return [...this.#scopes.values()];
  }

  /** The service worker registration of `scope` was unregistered in the browser: its sync registrations go. */
  async remove(scope: string): Promise<void> {
    const entry = this.#scopes.get(scope);
    if (!entry) return;
    this.#scopes.delete(scope);
    await entry.registration.unregister();
  }

  async dispatch(event: SyncDispatch): Promise<DispatchResult> {
    const entry = this.#scopes.get(event.scope);
    if (!entry) return this.#others.dispatch(event);
    for (;;) {
      const attached = entry.attached;
      if (!attached) return { outcome: "undelivered" };
      const result = await attached.dispatcher.dispatch(event);
      // One that could not deliver was replaced meanwhile (a page reloaded mid-event, whose
      // successor connected before it closed): the event goes to the new one, or it would
      // be held with a dispatcher attached that nothing tells to release it.
      if (result.outcome !== "undelivered" || entry.attached === attached || event.signal.aborted) return result;
    }
  }

  onlineChanged(online: boolean): void {
    this.#others.onlineChanged?.(online);
    // One dispatcher (a bridge connection, a DevTools session) often serves several scopes: told once.
    const attached = new Set<Dispatcher>();
    for (const entry of this.#scopes.values()) if (entry.attached) attached.add(entry.attached.dispatcher);
    for (const dispatcher of attached) dispatcher.onlineChanged?.(online);
  }
}
