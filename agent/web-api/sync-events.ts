// SyncEvent and PeriodicSyncEvent (WICG background-sync §SyncEvent, periodic-background-sync).
// Their constructors convert the arguments as WebIDL does: the type first, then each member
// of the init dictionary read once, in WebIDL's order (the inherited EventInit members first,
// then the dictionary's own in lexicographic order).

import { ExtendableEvent } from "./extendable-event.js";
import { defineInterface, toDOMString } from "./webidl.js";

export interface SyncEventInit extends EventInit {
  tag: string;
  lastChance?: boolean;
}

export interface PeriodicSyncEventInit extends EventInit {
  tag: string;
}

type Dictionary = Readonly<Record<string, unknown>> | undefined;

/** The init argument: present (its dictionary has a required member), and an object, null or undefined. */
function initDictionary(interfaceName: string, given: number, init: unknown): Dictionary {
  if (given < 2) throw new TypeError(`Failed to construct '${interfaceName}': 2 arguments required, but only ${given} present.`);
  if (init === undefined || init === null) return undefined;
  if (typeof init !== "object" && typeof init !== "function") {
    throw new TypeError(`Failed to construct '${interfaceName}': The provided value is not of type '${interfaceName}Init'.`);
  }
  return init as Dictionary;
}

/** EventInit's members (ExtendableEventInit adds none). */
function eventInit(init: Dictionary): EventInit {
  return { bubbles: Boolean(init?.bubbles), cancelable: Boolean(init?.cancelable), composed: Boolean(init?.composed) };
}

function requiredTag(interfaceName: string, init: Dictionary): string {
  const tag = init?.tag;
  if (tag === undefined) throw new TypeError(`Failed to construct '${interfaceName}': required member tag is undefined.`);
  return toDOMString(tag);
}

/** The `sync` event: `tag` names the registration; `lastChance` is true on the last attempt. */
export class SyncEvent extends ExtendableEvent {
  readonly #tag: string;
  readonly #lastChance: boolean;

  constructor(type: string, init: SyncEventInit) {
    const given = arguments.length;
    const eventType = toDOMString(type);
    const dictionary = initDictionary("SyncEvent", given, init);
    const base = eventInit(dictionary);
    const lastChance = Boolean(dictionary?.lastChance);
    const tag = requiredTag("SyncEvent", dictionary);
    super(eventType, base);
    this.#tag = tag;
    this.#lastChance = lastChance;
  }

  get tag(): string {
    return this.#tag;
  }

  get lastChance(): boolean {
    return this.#lastChance;
  }
}
defineInterface(SyncEvent, "SyncEvent");

/** The `periodicsync` event. */
export class PeriodicSyncEvent extends ExtendableEvent {
  readonly #tag: string;

  constructor(type: string, init: PeriodicSyncEventInit) {
    const given = arguments.length;
    const eventType = toDOMString(type);
    const dictionary = initDictionary("PeriodicSyncEvent", given, init);
    const base = eventInit(dictionary);
    const tag = requiredTag("PeriodicSyncEvent", dictionary);
    super(eventType, base);
    this.#tag = tag;
  }

  get tag(): string {
    return this.#tag;
  }
}
defineInterface(PeriodicSyncEvent, "PeriodicSyncEvent");
