// Interfaces a script cannot construct but the user agent can (SyncManager,
// PeriodicSyncManager): each instance is bound to the backend it was made for, and a method
// called on anything else fails with "Illegal invocation", as in browsers.

import { illegalConstructor } from "./webidl.js";

export class PlatformObjects<O extends object, B> {
  readonly #backends = new WeakMap<O, B>();
  #constructing: B | undefined;

  /** Called by the interface's constructor: binds the instance, or throws for `new` in script. */
  bind(instance: O): void {
    if (this.#constructing === undefined) throw illegalConstructor();
    this.#backends.set(instance, this.#constructing);
  }

  /** Make an instance bound to `backend`. */
  create(backend: B, make: () => O): O {
    this.#constructing = backend;
    try {
      return make();
    } finally {
      this.#constructing = undefined;
    }
  }

  /** Run a method body: its backend, and any exception turned into a rejection (WebIDL promises). */
  call<T>(instance: O, body: (backend: B) => Promise<T>): Promise<T> {
    const backend = this.#backends.get(instance);
    if (backend === undefined) return Promise.reject(new TypeError("Illegal invocation"));
    try {
      return body(backend);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
