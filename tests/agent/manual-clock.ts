// A clock the test moves by hand: timers run only inside advance(), in deadline order.
import type { Clock } from "../../agent/clock.js";

export class ManualClock implements Clock {
  #now = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  /** The wall clock at monotonic 0; jumpWall() moves it, as an NTP step or a manual set does. */
  wallOrigin = Date.UTC(2026, 10, 21);

  monotonic(): number {
    return this.#now;
  }
  wall(): number {
    return this.wallOrigin + this.#now;
  }
  /** The wall clock steps by `ms` (either way); monotonic time goes on undisturbed. */
  jumpWall(ms: number): void {
    this.wallOrigin += ms;
  }
  after(ms: number, fn: () => void): unknown {
    const handle = this.#next++;
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), fn });
    return handle;
  }
  cancel(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Milliseconds until the earliest pending timer, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    const times = [...this.#timers.values()].map((t) => t.at - this.#now);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Move time forward by `ms`, running each due timer at its own time, and let promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = end;
    await settle();
  }
}

/** Let every queued promise reaction run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
