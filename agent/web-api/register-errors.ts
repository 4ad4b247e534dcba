// The exceptions register() and friends reject with, in Chromium's exact words: apps and
// libraries (Workbox among them) match on these messages.

type Kind = "one-shot" | "periodic";

/**
 * register() without an active worker, in Chromium's words: Blink raises it synchronously, so
 * the message carries its "Failed to execute …" prefix.
 */
export function noActiveWorker(kind: Kind): DOMException {
  const manager = kind === "one-shot" ? "SyncManager" : "PeriodicSyncManager";
  return new DOMException(`Failed to execute 'register' on '${manager}': Registration failed - no active Service Worker`, "InvalidStateError");
}
export const NO_WINDOW_OR_TAG_TOO_LONG = "Attempted to register a sync event without a window or registration tag too long.";
export const PERMISSION_DENIED = "Permission denied.";
export const DISABLED = "Background Sync is disabled.";
/** Chromium's periodic words for the same storage failure. */
export const PERIODIC_DISABLED = "Unknown error.";
