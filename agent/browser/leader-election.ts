// One leader per origin, chosen with Web Locks: the tab that holds the lock runs the Agent,
// so two tabs never fire the same registration. The browser releases a lock when the page
// holding it goes away (closed, navigated, crashed, discarded), and grants it to the next
// tab waiting for it: that is how a follower takes over.

export class LeaderElection {
  readonly #abort = new AbortController();
  #release: (() => void) | undefined;

  /** Wait for the lock `name`; `onElected` runs once this tab holds it. */
  constructor(name: string, onElected: () => void) {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) {
      // No Web Locks (an old engine): every tab leads itself, as a single-tab app would.
      queueMicrotask(onElected);
      return;
    }
    locks
      .request(
        name,
        { mode: "exclusive", signal: this.#abort.signal },
        () =>
          new Promise<void>((release) => {
            this.#release = release;
            onElected();
          }),
      )
      .catch(() => {
        // Aborted by close() while still waiting: nothing was held. Refused (Chromium denies
        // a frame of another site its storage, Web Locks included): this tab leads itself, and
        // whether its Agent can start there decides what its calls answer.
        if (!this.#abort.signal.aborted) onElected();
      });
  }

  /** Stop leading, or stop waiting to lead. */
  close(): void {
    this.#abort.abort();
    this.#release?.();
  }
}
