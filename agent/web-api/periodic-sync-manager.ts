// PeriodicSyncManager (WICG periodic-background-sync): `registration.periodicSync`.

import { PlatformObjects } from "./platform-object.js";
import { defineInterface, missingArgument, toDOMString, toEnforcedUnsignedLongLong } from "./webidl.js";

export interface BackgroundSyncOptions {
  /** Minimum interval between events in ms (a suggestion; the user agent may wait longer). */
  minInterval?: number;
}

export interface PeriodicSyncBackend {
  register(tag: string, minInterval: number): Promise<void>;
  getTags(): Promise<string[]>;
  unregister(tag: string): Promise<void>;
}

const objects = new PlatformObjects<PeriodicSyncManager, PeriodicSyncBackend>();

function minIntervalOf(options: unknown): number {
  if (options === undefined || options === null) return 0;
  if (typeof options !== "object" && typeof options !== "function") {
    throw new TypeError("Failed to execute 'register' on 'PeriodicSyncManager': The provided value is not of type 'BackgroundSyncOptions'.");
  }
  const raw = (options as BackgroundSyncOptions).minInterval;
  return raw === undefined ? 0 : toEnforcedUnsignedLongLong(raw, "minInterval");
}

export class PeriodicSyncManager {
  constructor() {
    objects.bind(this);
  }

  register(tag: string, options: BackgroundSyncOptions = {}): Promise<void> {
    const given = arguments.length;
    return objects.call(this, (backend) => {
      if (given < 1) throw missingArgument("PeriodicSyncManager", "register", 1, 0);
      return backend.register(toDOMString(tag), minIntervalOf(options));
    });
  }

  getTags(): Promise<string[]> {
    return objects.call(this, (backend) => backend.getTags());
  }

  /** Remove `tag`; resolves whether or not it existed. */
  unregister(tag: string): Promise<void> {
    const given = arguments.length;
    return objects.call(this, (backend) => {
      if (given < 1) throw missingArgument("PeriodicSyncManager", "unregister", 1, 0);
      return backend.unregister(toDOMString(tag));
    });
  }
}

defineInterface(PeriodicSyncManager, "PeriodicSyncManager");

export function createPeriodicSyncManager(backend: PeriodicSyncBackend): PeriodicSyncManager {
  return objects.create(backend, () => new PeriodicSyncManager());
}
