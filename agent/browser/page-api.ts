// `registration.sync`, `registration.periodicSync`, `SyncManager` and `PeriodicSyncManager`
// in the page, and likewise in a dedicated or shared worker (worker.ts). Where the engine has no Background Sync (WebKit) or the config says "force",
// syncward installs and serves them from the start. Where a native API exists, syncward
// installs nothing, so the page sees exactly the engine's objects; it asks the native
// getTags() once, and only if that rejects as disabled (Electron and other embedders of
// Chromium without a controller: UnknownError "Background Sync is disabled.") does syncward
// install its own and serve for good. A call the app makes before that answer reaches the
// disabled native API (README, "In the browser").

import { noActiveWorker, NO_WINDOW_OR_TAG_TOO_LONG } from "../web-api/register-errors.js";
import { createPeriodicSyncManager, PeriodicSyncManager, type PeriodicSyncBackend } from "../web-api/periodic-sync-manager.js";
import { createSyncManager, SyncManager, type SyncBackend } from "../web-api/sync-manager.js";
import { attributeGetter } from "../web-api/webidl.js";
import { nativeDisabled, nativeGetters } from "./native-sync.js";
import { topLevelWindowOpen } from "./top-level-window.js";
import type { AgentCall } from "./page-agent.js";
import type { Kind } from "./worker-protocol.js";

export interface PageApiOptions {
  mode: "auto" | "force";
  /** Hand a call to the origin's Agent (started on first use). */
  call: (call: AgentCall) => Promise<unknown>;
  /** syncward starts serving the API (at once, or when the native one turned out disabled). */
  onTakeOver: () => void;
}

/** What a worker's forwarded call asks for; it is performed exactly like the page's own. */
export type WorkerCall =
  | { op: "register"; kind: Kind; tag: string; minInterval: number }
  | { op: "resolved"; kind: Kind; tag: string }
  | { op: "getTags"; kind: Kind }
  | { op: "unregister"; kind: Kind; tag: string };

export interface PageApi {
  /** True while syncward serves the API; false while the native one does. */
  readonly serving: boolean;
  takeOver(): void;
  perform(registration: ServiceWorkerRegistration, call: WorkerCall): Promise<string[] | void>;
}

export function installPageApi(options: PageApiOptions): PageApi {
  const prototype = ServiceWorkerRegistration.prototype;
  const native = nativeGetters(prototype);
  let serving = false;

  // syncward's own path: the checks that need the caller's registration object, then the Agent.
  const ours = {
    /**
     * `own`: the caller is this realm, which makes the window check and tells the Agent once
     * the promise resolved (a service worker's call comes checked and confirms itself).
     */
    async register(registration: ServiceWorkerRegistration, kind: Kind, tag: string, minInterval: number, own: boolean): Promise<void> {
      if (!registration.active) throw noActiveWorker(kind);
      if (own && !(await topLevelWindowOpen(registration))) throw new DOMException(NO_WINDOW_OR_TAG_TOO_LONG, "InvalidAccessError");
      const scope = registration.scope;
      await options.call({ op: "register", scope, kind, tag, minInterval });
      // A task later: after the app's own reactions to the resolution.
      if (own) setTimeout(() => void options.call({ op: "resolved", scope, kind, tag }), 0);
    },
    getTags(registration: ServiceWorkerRegistration, kind: Kind): Promise<string[]> {
      // Chromium: one-shot tags are listed with or without an active worker (the spec's
      // algorithm has no such check); periodic ones are [] without one.
      if (kind === "periodic" && !registration.active) return Promise.resolve([]);
      return options.call({ op: "getTags", scope: registration.scope, kind }) as Promise<string[]>;
    },
    unregister(registration: ServiceWorkerRegistration, tag: string): Promise<void> {
      if (!registration.active) return Promise.resolve();
      return options.call({ op: "unregister", scope: registration.scope, kind: "periodic", tag }).then(() => undefined);
    },
  };

  const managers = new WeakMap<ServiceWorkerRegistration, { sync: SyncManager; periodicSync: PeriodicSyncManager }>();
  const managersOf = (registration: unknown) => {
    if (!(registration instanceof ServiceWorkerRegistration)) throw new TypeError("Illegal invocation");
    let pair = managers.get(registration);
    if (!pair) {
      const sync: SyncBackend = {
        register: (tag) => ours.register(registration, "one-shot", tag, 0, true),
        getTags: () => ours.getTags(registration, "one-shot"),
      };
      const periodicSync: PeriodicSyncBackend = {
        register: (tag, minInterval) => ours.register(registration, "periodic", tag, minInterval, true),
        getTags: () => ours.getTags(registration, "periodic"),
        unregister: (tag) => ours.unregister(registration, tag),
      };
      pair = { sync: createSyncManager(sync), periodicSync: createPeriodicSyncManager(periodicSync) };
      managers.set(registration, pair);
    }
    return pair;
  };

  const takeOver = () => {
    if (serving) return;
    serving = true;
    for (const name of ["sync", "periodicSync"] as const) {
      Object.defineProperty(prototype, name, {
        configurable: true,
        enumerable: true,
        get: attributeGetter(name, function () {
          return managersOf(this)[name];
        }),
      });
    }
    for (const [name, value] of [
      ["SyncManager", SyncManager],
      ["PeriodicSyncManager", PeriodicSyncManager],
    ] as const) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
    }
    forgetOnUnregister(prototype, (scope) => options.call({ op: "forget", scope }));
    options.onTakeOver();
  };

  if (options.mode === "force" || !native.sync) takeOver();
  else {
    // Any registration of the origin tells; with none yet, the page's own once it is ready.
    const container = navigator.serviceWorker;
    const registration = container.getRegistrations().then((all) => all[0] ?? container.ready);
    void nativeDisabled(native.sync, registration).then((disabled) => disabled && takeOver());
  }

  return {
    get serving() {
      return serving;
    },
    takeOver,
    perform(registration, call) {
      if (call.op === "register") return ours.register(registration, call.kind, call.tag, call.minInterval, false);
      if (call.op === "resolved") return options.call({ op: "resolved", scope: registration.scope, kind: call.kind, tag: call.tag }).then(() => undefined);
      if (call.op === "getTags") return ours.getTags(registration, call.kind);
      return ours.unregister(registration, call.tag);
    },
  };
}

/**
 * `unregister()` that also removes the registration's sync registrations before it resolves,
 * as Chromium does at once: nothing else tells syncward, and a scope registered again at once
 * may even get the same registration back (Chromium revives one whose clients remain).
 */
function forgetOnUnregister(prototype: ServiceWorkerRegistration, forget: (scope: string) => Promise<unknown>): void {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, "unregister");
  const unregister = descriptor?.value as ((this: ServiceWorkerRegistration) => Promise<boolean>) | undefined;
  if (typeof unregister !== "function") return;
  // A method, so that it keeps the native one's name and length (0) and brand check.
  const wrapped = {
    unregister(this: ServiceWorkerRegistration): Promise<boolean> {
      return unregister.call(this).then(async (done) => {
        if (done) await forget(this.scope);
        return done;
      });
    },
  }.unregister;
  Object.defineProperty(prototype, "unregister", { ...descriptor, value: wrapped });
}
