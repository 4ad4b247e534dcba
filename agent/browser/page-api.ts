// `registration.sync`, `registration.periodicSync`, `SyncManager` and `PeriodicSyncManager`
// in the page. Where the engine has no Background Sync (WebKit) or the config says "force",
// syncward serves them from the start. Where a native API exists, the managers call it and
// syncward stays out of the way, unless a call rejects with "Background Sync is disabled."
// (Electron and other embedders of Chromium without a controller): then syncward takes over
// for good and repeats that call itself, so the app never sees the rejection.

import { NO_ACTIVE_WORKER, NO_WORKER_FOR_TAGS } from "../agent.js";
import { createPeriodicSyncManager, PeriodicSyncManager, type PeriodicSyncBackend } from "../web-api/periodic-sync-manager.js";
import { createSyncManager, SyncManager, type SyncBackend } from "../web-api/sync-manager.js";
import { isDisabled, nativeGetters } from "./native-sync.js";
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
  const takeOver = () => {
    if (serving) return;
    serving = true;
    options.onTakeOver();
  };

  // syncward's own path: the checks that need the caller's registration object, then the Agent.
  const ours = {
    register(registration: ServiceWorkerRegistration, kind: Kind, tag: string, minInterval: number): Promise<void> {
      if (!registration.active) return Promise.reject(new DOMException(NO_ACTIVE_WORKER, "InvalidStateError"));
      return options.call({ op: "register", scope: registration.scope, kind, tag, minInterval }).then(() => undefined);
    },
    getTags(registration: ServiceWorkerRegistration, kind: Kind): Promise<string[]> {
      if (!registration.active) {
        return kind === "periodic" ? Promise.resolve([]) : Promise.reject(new DOMException(NO_WORKER_FOR_TAGS, "UnknownError"));
      }
      return options.call({ op: "getTags", scope: registration.scope, kind }) as Promise<string[]>;
    },
    unregister(registration: ServiceWorkerRegistration, tag: string): Promise<void> {
      if (!registration.active) return Promise.resolve();
      return options.call({ op: "unregister", scope: registration.scope, kind: "periodic", tag }).then(() => undefined);
    },
  };

  /** The native call while syncward does not serve; syncward's if it does or the native one is disabled. */
  async function either<T>(nativeCall: (() => Promise<T>) | undefined, ourCall: () => Promise<T>): Promise<T> {
    if (serving || !nativeCall) return ourCall();
    try {
      return await nativeCall();
    } catch (error) {
      if (!isDisabled(error)) throw error;
      takeOver();
      return ourCall();
    }
  }

  function syncBackend(registration: ServiceWorkerRegistration): SyncBackend {
    const nativeSync = () => native.sync!.call(registration);
    return {
      register: (tag) => either(native.sync && (() => nativeSync().register(tag)), () => ours.register(registration, "one-shot", tag, 0)),
      getTags: () => either(native.sync && (() => nativeSync().getTags()), () => ours.getTags(registration, "one-shot")),
    };
  }

  function periodicBackend(registration: ServiceWorkerRegistration): PeriodicSyncBackend {
    const nativePeriodic = () => native.periodicSync!.call(registration);
    return {
      register: (tag, minInterval) => either(native.periodicSync && (() => nativePeriodic().register(tag, { minInterval })),
        () => ours.register(registration, "periodic", tag, minInterval)),
      getTags: () => either(native.periodicSync && (() => nativePeriodic().getTags()), () => ours.getTags(registration, "periodic")),
      unregister: (tag) => either(native.periodicSync && (() => nativePeriodic().unregister(tag)), () => ours.unregister(registration, tag)),
    };
  }

  const managers = new WeakMap<ServiceWorkerRegistration, { sync: SyncManager; periodicSync: PeriodicSyncManager }>();
  const managersOf = (registration: unknown) => {
    if (!(registration instanceof ServiceWorkerRegistration)) throw new TypeError("Illegal invocation");
    let pair = managers.get(registration);
    if (!pair) {
      pair = { sync: createSyncManager(syncBackend(registration)), periodicSync: createPeriodicSyncManager(periodicBackend(registration)) };
      managers.set(registration, pair);
    }
    return pair;
  };
  Object.defineProperty(prototype, "sync", { configurable: true, enumerable: true, get() { return managersOf(this).sync; } });
  Object.defineProperty(prototype, "periodicSync", { configurable: true, enumerable: true, get() { return managersOf(this).periodicSync; } });
  for (const [name, value] of [["SyncManager", SyncManager], ["PeriodicSyncManager", PeriodicSyncManager]] as const) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  }
  if (options.mode === "force" || !native.sync) takeOver();

  return {
    get serving() {
      return serving;
    },
    takeOver,
    perform(registration, call) {
      if (call.op === "register") return ours.register(registration, call.kind, call.tag, call.minInterval);
      if (call.op === "getTags") return ours.getTags(registration, call.kind);
      return ours.unregister(registration, call.tag);
    },
  };
}
