// SyncManager (WICG background-sync): `registration.sync`. It converts arguments as WebIDL
// does and hands them to the user agent behind it, which applies the spec's checks.

import { illegalConstructor, missingArgument, toDOMString } from "./webidl.js";

/** What stands behind a SyncManager: the Agent, for one service worker registration. */
export interface SyncBackend {
  register(tag: string): Promise<void>;
  getTags(): Promise<string[]>;
}

const backends = new WeakMap<SyncManager, SyncBackend>();
let constructing: SyncBackend | undefined;

export class SyncManager {
  /** Not constructible by scripts, as in browsers (the IDL has no constructor). */
  constructor() {
    if (!constructing) throw illegalConstructor();
    backends.set(this, constructing);
  }

  /** Register `tag`; resolves once the registration is durable. The `sync` event follows. */
  register(tag: string): Promise<void> {
    const backend = backends.get(this);
    if (!backend) return Promise.reject(new TypeError("Illegal invocation"));
    if (arguments.length < 1) return Promise.reject(missingArgument("SyncManager", "register", 1, 0));
    try {
      return backend.register(toDOMString(tag));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Tags of every registration, whatever its state. */
  getTags(): Promise<string[]> {
    const backend = backends.get(this);
    if (!backend) return Promise.reject(new TypeError("Illegal invocation"));
    return backend.getTags();
  }
}

export function createSyncManager(backend: SyncBackend): SyncManager {
  constructing = backend;
  try {
    return new SyncManager();
  } finally {
    constructing = undefined;
  }
}
