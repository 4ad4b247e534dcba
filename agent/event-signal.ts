// How the Agent tells a dispatcher to stop waiting for an event (its time limit passed, or its
// registration went away). A DOM AbortSignal would do, but one per event was the Agent's
// costliest allocation in the simulator's profile (Node builds a whole EventTarget for each);
// this is the part of it dispatchers use, and a real AbortSignal satisfies it too.

export interface EventSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** Aborts one event's signal; the Agent makes one per dispatched event. */
export class EventAbort implements EventSignal {
  #aborted = false;
  #listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  /** The signal to hand to the dispatcher (this object: it is its own signal). */
  get signal(): EventSignal {
    return this;
  }

  addEventListener(_type: "abort", listener: () => void): void {
    if (this.#aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.#listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.#listeners!.splice(at, 1);
  }

  /** Tell every listener once; later calls do nothing. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const listeners = this.#listeners ?? [];
    this.#listeners = undefined;
    for (const listener of listeners) listener();
  }
}
