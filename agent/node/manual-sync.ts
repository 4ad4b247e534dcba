// A sync event fired by hand (`syncward sync fire TAG`), as the Sync button of Chrome DevTools'
// Background services panel does: straight to the worker, whatever the schedule says, with
// lastChance false. It neither needs nor changes a registration of that tag, and costs no
// attempt; the agent logs it as one of its own notes.

import type { Dispatcher, DispatchResult } from "../dispatcher.js";
import { EventAbort } from "../event-signal.js";

/** Chromium's default event time limit: a handler still pending then is a failure ("timeout"). */
export const MANUAL_EVENT_TIMEOUT_MS = 3 * 60_000;

export interface ManualSyncResult extends DispatchResult {
  scope: string;
  tag: string;
}

/**
 * Fire `tag` at the worker of `scope`, which may be left out when the agent runs one worker.
 * Rejects, with a reason for the user, when the scope is unknown or ambiguous.
 */
export async function fireSync(dispatcher: Dispatcher, scopes: readonly string[], tag: string, scope: string | undefined): Promise<ManualSyncResult> {
  const target = scope === undefined ? onlyScope(scopes) : new URL(scope).href;
  if (!scopes.includes(target)) throw new Error(`no service worker with the scope ${target} (scopes: ${scopes.join(", ")})`);
  const abort = new EventAbort();
  const timer = setTimeout(() => abort.abort(), MANUAL_EVENT_TIMEOUT_MS);
  try {
    return { scope: target, tag, ...(await dispatcher.dispatch({ type: "sync", scope: target, tag, lastChance: false, signal: abort.signal })) };
  } finally {
    clearTimeout(timer);
  }
}

function onlyScope(scopes: readonly string[]): string {
  if (scopes.length !== 1) throw new Error(`the agent runs ${scopes.length} service workers: name one with --scope (${scopes.join(", ")})`);
  return scopes[0]!;
}
