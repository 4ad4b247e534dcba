// The Clock port of one simulated device for one boot. Monotonic time is the fleet's virtual
// time; the wall clock can be wrong after boot (no RTC: systemd-timesyncd restores the stamp
// saved at the last shutdown, so the clock is behind by the time the device was off) until
// NTP steps it right. A crash kills the boot's clock: its timers never fire again, which is
// how "in-flight work lost" reaches the Agent, its fusion and its handlers.

import type { Clock } from "../agent/clock.js";
import type { EventQueue, Timed } from "./event-queue.js";

/** Wall-clock milliseconds of virtual time 0 (a fixed date: reports must not depend on today). */
export const WALL_EPOCH = Date.UTC(2026, 0, 5, 0, 0, 0);

class BootTimer implements Timed {
  at = 0;
  seq = 0;
  queued = false;
  constructor(
    readonly clock: DeviceClock,
    readonly fn: () => void,
  ) {}
  fire(): void {
    if (this.clock.alive) this.fn();
  }
}

export class DeviceClock implements Clock {
  #alive = true;

  /**
   * @param skewMs wall-clock error at boot (negative: behind), until `syncAt`.
   * @param syncAt virtual time at which NTP steps the wall clock right.
   */
  /**
   * @param live the real clock, in real-time runs (--mqtt): reading the time catches the
   *   queue up with it, since I/O callbacks read it between the queue's entries.
   */
  constructor(
    readonly queue: EventQueue,
    readonly skewMs = 0,
    readonly syncAt = 0,
    readonly live?: () => number,
  ) {}

  get alive(): boolean {
    return this.#alive;
  }

  monotonic(): number {
    if (this.live) this.queue.advanceTo(this.live());
    return this.queue.now;
  }

  wall(): number {
    const now = this.monotonic();
    return WALL_EPOCH + now + (now < this.syncAt ? this.skewMs : 0);
  }

  after(ms: number, fn: () => void): unknown {
    return this.queue.schedule(new BootTimer(this, fn), this.monotonic() + (ms > 0 ? ms : 0));
  }

  cancel(handle: unknown): void {
    if (handle instanceof BootTimer) this.queue.cancel(handle);
  }

  /** The device crashed or powered off: nothing scheduled by this boot runs any more. */
  kill(): void {
    this.#alive = false;
  }
}
