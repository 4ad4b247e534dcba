// SyncEvent and PeriodicSyncEvent (WICG background-sync §SyncEvent, periodic-background-sync).

import { ExtendableEvent } from "./extendable-event.js";
import { toDOMString } from "./webidl.js";

export interface SyncEventInit extends EventInit {
  tag: string;
  lastChance?: boolean;
}

export interface PeriodicSyncEventInit extends EventInit {
  tag: string;
}

function requiredTag(interfaceName: string, init: { tag?: unknown } | undefined): string {
  if (init === undefined || init === null || init.tag === undefined) {
    throw new TypeError(`Failed to construct '${interfaceName}': required member tag is undefined.`);
  }
  return toDOMString(init.tag);
}

/** The `sync` event: `tag` names the registration; `lastChance` is true on the last attempt. */
export class SyncEvent extends ExtendableEvent {
  readonly #tag: string;
  readonly #lastChance: boolean;

  constructor(type: string, init: SyncEventInit) {
    const tag = requiredTag("SyncEvent", init);
    super(toDOMString(type), init);
    this.#tag = tag;
    this.#lastChance = Boolean(init.lastChance ?? false);
  }

  get tag(): string {
    return this.#tag;
  }

  get lastChance(): boolean {
    return this.#lastChance;
  }
}

/** The `periodicsync` event. */
export class PeriodicSyncEvent extends ExtendableEvent {
  readonly #tag: string;

  constructor(type: string, init: PeriodicSyncEventInit) {
    const tag = requiredTag("PeriodicSyncEvent", init);
    super(toDOMString(type), init);
    this.#tag = tag;
  }

  get tag(): string {
    return this.#tag;
  }
}
