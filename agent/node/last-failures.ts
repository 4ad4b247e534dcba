// The last failure of each registration, as the agent's own log told it ("sync event failed"
// and its Failure Reason), for `syncward sync list`. In memory only: the store keeps no
// failure reasons, so after a restart a registration's earlier failures are unknown.

import type { BackgroundServiceEvent } from "../log.js";

export interface LastFailure {
  /** Wall time in ms. */
  at: number;
  reason: string;
}

const FAILED = / event failed$/;
/** A success, an unregister or a drop: the registration's failures are over. */
const OVER = / event completed$|^Unregistered |^(Sync|Periodicsync) completed$/;

export class LastFailures {
  readonly #byKey = new Map<string, LastFailure>();

  /** Take note of one of the agent's events. */
  observe(event: BackgroundServiceEvent): void {
    const key = keyOf(event.service === "backgroundSync" ? "one-shot" : "periodic", event.scope, event.instanceId);
    if (FAILED.test(event.eventName)) this.#byKey.set(key, { at: event.timestamp, reason: event.eventMetadata["Failure Reason"] ?? "failed" });
    else if (OVER.test(event.eventName)) this.#byKey.delete(key);
  }

  /** The last failure of a registration since it last succeeded, if any. */
  of(kind: "one-shot" | "periodic", scope: string, tag: string): LastFailure | undefined {
    return this.#byKey.get(keyOf(kind, scope, tag));
  }
}

function keyOf(kind: string, scope: string, tag: string): string {
  return `${kind} ${scope} ${tag}`;
}
