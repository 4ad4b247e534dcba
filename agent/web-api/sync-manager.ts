// SyncManager (WICG background-sync): `registration.sync`. It converts arguments as WebIDL
// does and hands them to the user agent behind it, which applies the spec's checks.

import { PlatformObjects } from "./platform-object.js";
import { defineInterface, missingArgument, toDOMString } from "./webidl.js";

/** What stands behind a SyncManager: the Agent, for one service worker registration. */
export interface SyncBackend {
  register(tag: string): Promise<void>;
  getTags(): Promise<string[]>;
}

const objects = new PlatformObjects<SyncManager, SyncBackend>();

export class SyncManager {
  /** Not constructible by scripts, as in browsers (the IDL has no constructor). */
  constructor() {
    objects.bind(this);
  }

  /** Register `tag`; resolves once the registration is durable. The `sync` event follows. */
  register(tag: string): Promise<void> {
    const given = arguments.length;
    return objects.call(this, (backend) => {
      if (given < 1) throw missingArgument("SyncManager", "register", 1, 0);
      return backend.register(toDOMString(tag));
    });
  }

  /** Tags of every registration, whatever its state. */
  getTags(): Promise<string[]> {
    return objects.call(this, (backend) => backend.getTags());
  }
}

defineInterface(SyncManager, "SyncManager");

export function createSyncManager(backend: SyncBackend): SyncManager {
  return objects.create(backend, () => new SyncManager());
}
