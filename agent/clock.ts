// The clock port. The core takes time as an argument; this is where the host gets it, and how
// it is woken at the core's next wake-up. The simulator supplies virtual time.

export interface Clock {
  /** Monotonic milliseconds (never goes backwards; may pause in suspend). */
  monotonic(): number;
  /** Wall-clock milliseconds since the epoch (may step on NTP sync). */
  wall(): number;
  /** Call `fn` after `ms` milliseconds; returns a handle for `cancel`. */
  after(ms: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

/** The real clock, in a page, a worker or Node. */
export const systemClock: Clock = {
  monotonic: () => performance.now(),
  wall: () => Date.now(),
  // Timers beyond 2^31-1 ms overflow to 1 ms in every engine; the Agent re-arms on wake-up.
  after: (ms, fn) => setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1)),
  cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
