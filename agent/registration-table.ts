// What the Agent serves: the service worker registrations (scopes) by URL, each scope's tags
// per kind bound to the core's registration ids, and the stored registrations whose scope is
// not served yet (they come back when it is added). Chromium's BackgroundSyncManager keeps
// the same map, its registrations per service worker registration.

import type { RegistrationId, ScopeId } from "../wasm-core/binding/codes.js";
import { storeKey, type StoredRegistration } from "./store.js";

export type Kind = "one-shot" | "periodic";

export interface ScopeEntry {
  url: string;
  origin: string | undefined;
  id: ScopeId;
  active: boolean;
  /** The host's word on the scope's own reachability (setScopeOnline). */
  reachable: boolean;
  hasWindowClient: () => boolean;
  confirmsResolution: boolean;
  tags: Record<Kind, Map<string, RegistrationId>>;
}

export interface Binding {
  scope: ScopeEntry;
  tag: string;
  kind: Kind;
  /** Its storeKey(), made once: the store is handed this same string at every change. */
  key: string;
}

/** A scope URL's origin, or undefined for no URL (not URL.canParse: WPE 2.38 has none). */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export class RegistrationTable {
  readonly #scopes = new Map<string, ScopeEntry>();
  readonly #bindings = new Map<RegistrationId, Binding>();
  readonly #unserved = new Map<string, StoredRegistration[]>();

  scope(url: string): ScopeEntry | undefined {
    return this.#scopes.get(url);
  }

  addScope(entry: ScopeEntry): void {
    this.#scopes.set(entry.url, entry);
  }

  /** Whether `entry` is the scope served at its URL (not one removed, nor replaced since). */
  serves(entry: ScopeEntry): boolean {
    return this.#scopes.get(entry.url) === entry;
  }

  removeScope(entry: ScopeEntry): void {
    if (this.serves(entry)) this.#scopes.delete(entry.url);
  }

  /** A served scope of `origin`, whose periodic timing a new scope shares (the spec's is per origin). */
  sameOrigin(origin: string | undefined): ScopeId | undefined {
    if (origin === undefined) return undefined;
    for (const entry of this.#scopes.values()) if (entry.origin === origin) return entry.id;
    return undefined;
  }

  binding(id: RegistrationId): Binding | undefined {
    return this.#bindings.get(id);
  }

  bindings(): IterableIterator<[RegistrationId, Binding]> {
    return this.#bindings.entries();
  }

  bind(entry: ScopeEntry, tag: string, kind: Kind, id: RegistrationId): void {
    entry.tags[kind].set(tag, id);
    this.#bindings.set(id, { scope: entry, tag, kind, key: storeKey({ kind, scope: entry.url, tag }) });
  }

  /** Forget the id's tag; returns what it was bound to. */
  unbind(id: RegistrationId): Binding | undefined {
    const binding = this.#bindings.get(id);
    if (!binding) return undefined;
    binding.scope.tags[binding.kind].delete(binding.tag);
    this.#bindings.delete(id);
    return binding;
  }

  /** Keep stored registrations (the store keeps them durable too) until their scope is added, replacing what waited for it. */
  park(scope: string, saved: StoredRegistration[]): void {
    if (saved.length > 0) this.#unserved.set(scope, saved);
  }

  /** A stored registration loaded at start, kept until its scope is added. */
  parkOne(saved: StoredRegistration): void {
    const list = this.#unserved.get(saved.scope);
    if (list) list.push(saved);
    else this.#unserved.set(saved.scope, [saved]);
  }

  /** The stored registrations that waited for `scope`, now handed back. */
  takeParked(scope: string): StoredRegistration[] {
    const saved = this.#unserved.get(scope) ?? [];
    this.#unserved.delete(scope);
    return saved;
  }

  /** Scopes with stored registrations that wait for their service worker registration to be added. */
  unservedScopes(): string[] {
    return [...this.#unserved.keys()];
  }
}
