// The engine's own Background Sync in this realm, if any. `'SyncManager' in self` proves
// nothing (Electron exposes the interfaces and rejects every call), so syncward keeps the
// native getters and judges the API by how its calls end.

export interface NativeGetters {
  sync?: (this: ServiceWorkerRegistration) => SyncManager;
  periodicSync?: (this: ServiceWorkerRegistration) => PeriodicSyncManager;
}

/** The native SyncManager and PeriodicSyncManager shapes, as far as syncward calls them. */
export interface SyncManager {
  register(tag: string): Promise<void>;
  getTags(): Promise<string[]>;
}

export interface PeriodicSyncManager {
  register(tag: string, options?: { minInterval?: number }): Promise<void>;
  getTags(): Promise<string[]>;
  unregister(tag: string): Promise<void>;
}

/** The `sync` / `periodicSync` getters of a ServiceWorkerRegistration prototype, before syncward replaces them. */
export function nativeGetters(prototype: object): NativeGetters {
  const getter = (name: string) => Object.getOwnPropertyDescriptor(prototype, name)?.get as never;
  return { sync: getter("sync"), periodicSync: getter("periodicSync") };
}

/**
 * Whether a native rejection means the API is switched off rather than refusing this call:
 * Chromium without a BackgroundSyncController (Electron, Qt WebEngine, a disabled field
 * trial) rejects everything with UnknownError, "Background Sync is disabled." for one-shot
 * and "Unknown error." for periodic sync.
 */
export function isDisabled(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === "UnknownError";
}

/**
 * Whether the native one-shot API of `registration` is switched off: its getTags() rejects
 * as disabled. Any other rejection is the API refusing that call, not the API being off.
 */
export async function nativeDisabled(
  sync: NonNullable<NativeGetters["sync"]>,
  registration: ServiceWorkerRegistration | PromiseLike<ServiceWorkerRegistration>,
): Promise<boolean> {
  try {
    await sync.call(await registration).getTags();
    return false;
  } catch (error) {
    return isDisabled(error);
  }
}
