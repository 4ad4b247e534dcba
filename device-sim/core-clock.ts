// The clock of a policy's shared scheduling core: the fleet's virtual time, and the one timer
// the core's endpoint keeps, as one reusable entry of the fleet's event queue. Every device's
// Agent reaches the core through its own port of that endpoint (wasm-core/binding/scheduler-endpoint.ts).

import type { EndpointClock } from "../wasm-core/binding/scheduler-endpoint.js";
import type { EventQueue, Timed } from "./event-queue.js";

export class CoreClock implements EndpointClock, Timed {
  at = 0;
  seq = 0;
  queued = false;
  #fn: (() => void) | undefined;

  /** @param live the real clock, in real-time runs (--mqtt): reading it catches the queue up. */
  constructor(
    readonly queue: EventQueue,
    readonly live?: () => number,
  ) {}

  monotonic(): number {
    if (this.live) this.queue.advanceTo(this.live());
    return this.queue.now;
  }

  /** The endpoint keeps one timer: arming it again moves the one entry. */
  after(ms: number, fn: () => void): unknown {
    this.#fn = fn;
    return this.queue.schedule(this, this.monotonic() + (ms > 0 ? ms : 0));
  }

  cancel(): void {
    this.queue.cancel(this);
  }

  fire(): void {
    this.#fn?.();
  }
}
