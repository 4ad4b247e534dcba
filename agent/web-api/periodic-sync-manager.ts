// PeriodicSyncManager (WICG periodic-background-sync): `registration.periodicSync`.

import { illegalConstructor, missingArgument, toDOMString, toEnforcedUnsignedLongLong } from "./webidl.js";

export interface BackgroundSyncOptions {
  /** Minimum interval between events in ms (a suggestion; the user agent may wait longer). */
  minInterval?: number;
}

export interface PeriodicSyncBackend {
  register(tag: string, minInterval: number): Promise<void>;
  getTags(): Promise<string[]>;
  unregister(tag: string): Promise<void>;
}

const backends = new WeakMap<PeriodicSyncManager, PeriodicSyncBackend>();
let constructing: PeriodicSyncBackend | undefined;

export class PeriodicSyncManager {
  constructor() {
    if (!constructing) throw illegalConstructor();
    backends.set(this, constructing);
  }

  register(tag: string, options: BackgroundSyncOptions = {}): Promise<void> {
    const backend = backends.get(this);
    if (!backend) return Promise.reject(new TypeError("Illegal invocation"));
    if (arguments.length < 1) return Promise.reject(missingArgument("PeriodicSyncManager", "register", 1, 0));
    try {
      if (options !== null && options !== undefined && typeof options !== "object" && typeof options !== "function") {
        throw new TypeError("Failed to execute 'register' on 'PeriodicSyncManager': The provided value is not of type 'BackgroundSyncOptions'.");
      }
      const raw = options?.minInterval;
      const minInterval = raw === undefined ? 0 : toEnforcedUnsignedLongLong(raw, "minInterval");
      return backend.register(toDOMString(tag), minInterval);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  getTags(): Promise<string[]> {
    const backend = backends.get(this);
    if (!backend) return Promise.reject(new TypeError("Illegal invocation"));
    return backend.getTags();
  }

  /** Remove `tag`; resolves whether or not it existed. */
  unregister(tag: string): Promise<void> {
    const backend = backends.get(this);
    if (!backend) return Promise.reject(new TypeError("Illegal invocation"));
    if (arguments.length < 1) return Promise.reject(missingArgument("PeriodicSyncManager", "unregister", 1, 0));
    try {
      return backend.unregister(toDOMString(tag));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

export function createPeriodicSyncManager(backend: PeriodicSyncBackend): PeriodicSyncManager {
  constructing = backend;
  try {
    return new PeriodicSyncManager();
  } finally {
    constructing = undefined;
  }
}
