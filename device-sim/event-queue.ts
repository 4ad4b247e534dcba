// Virtual time: one min-heap of timed entries for the whole fleet, ordered by (time, insertion
// order) so equal times run in a fixed order and a run is a pure function of its seed. The
// Agent is asynchronous (register() awaits the store, dispatch results are promises), so
// after the entries of one instant have run, the loop lets every queued promise reaction
// settle before time moves on: reactions see the instant that caused them.

/** Something that happens at a virtual time. Reusable: re-schedule it once it has fired. */
export interface Timed {
  at: number;
  seq: number;
  /** False while the entry is not in the queue, or after cancel(). */
  queued: boolean;
  fire(now: number): void;
}

/** A one-off callback (the Clock port's after()). */
class Callback implements Timed {
  at = 0;
  seq = 0;
  queued = false;
  constructor(readonly fn: () => void) {}
  fire(): void {
    this.fn();
  }
}

/**
 * Resolves once every promise reaction queued so far, and every reaction those queue, has run:
 * Node runs the nextTick queue only after the microtask queue has drained completely, so a
 * tick asked for from within a reaction comes after all of them, without the turn of the
 * event loop (an epoll call) that setImmediate costs at every instant. Asked for outside a
 * reaction, ticks run before the microtasks: run() therefore settles only from within one.
 */
const settle = (): Promise<void> => new Promise<void>((resolve) => process.nextTick(resolve));

export class EventQueue {
  // The heap as parallel arrays: the key (time, seq) is copied in, so an entry cancelled and
  // queued again leaves a stale slot that is recognised by its seq instead of corrupting order.
  #at: number[] = [];
  #seqs: number[] = [];
  #entries: Timed[] = [];
  #seq = 0;
  #now = 0;
  /** Entries due now with their seq, in order: cheaper than the heap for zero-delay callbacks. */
  #due: Timed[] = [];
  #dueSeq: number[] = [];
  #fired = 0;

  /** The current virtual time in milliseconds since the start of the run. */
  get now(): number {
    return this.#now;
  }

  /** Entries fired so far (a cost figure for the benchmark). */
  get fired(): number {
    return this.#fired;
  }

  /**
   * Queue `entry` at absolute time `at`, rounded up to a whole millisecond and never earlier
   * than now; re-queues it if queued. Whole milliseconds keep time arithmetic exact and let
   * entries of the same millisecond share one settling of promise reactions.
   */
  schedule(entry: Timed, at: number): Timed {
    at = Math.ceil(at);
    entry.at = at > this.#now ? at : this.#now;
    entry.seq = this.#seq++;
    entry.queued = true;
    if (entry.at === this.#now) {
      this.#due.push(entry);
      this.#dueSeq.push(entry.seq);
    } else {
      this.#push(entry);
    }
    return entry;
  }

  /** Call `fn` after `ms` of virtual time. */
  after(ms: number, fn: () => void): Timed {
    return this.schedule(new Callback(fn), this.#now + (ms > 0 ? ms : 0));
  }

  /** The entry will not fire (lazy removal: its slot is skipped when its time comes). */
  cancel(entry: Timed): void {
    entry.queued = false;
  }

  /**
   * Run every entry due up to `until`, in time order. Promise reactions settle after each
   * instant, or, with `quantumMs` > 0, after each window of that length (fewer turns of the
   * event loop, at the price of reactions running up to that much late: still deterministic).
   * `onSettled` is called after each settling (progress, sampling).
   */
  async run(until: number, onSettled?: (now: number) => void, quantumMs = 0): Promise<void> {
    // From here on this runs as a promise reaction (see settle).
    await null;
    let lastTurn = performance.now();
    let settled = 0;
    for (;;) {
      let windowEnd = -1;
      for (;;) {
        if (this.#due.length === 0) {
          if (this.#at.length === 0) break;
          const next = this.#at[0]!;
          if (next > until || (windowEnd >= 0 && next > windowEnd)) break;
          // In real time an entry may run late: time never goes back for it.
          this.#now = next > this.#now ? next : this.#now;
          while (this.#at.length > 0 && this.#at[0] === next) {
            this.#due.push(this.#entries[0]!);
            this.#dueSeq.push(this.#seqs[0]!);
            this.#pop();
          }
        }
        if (windowEnd < 0) windowEnd = this.#now + quantumMs;
        // Entries queued for "now" while these run join the same instant, after them.
        for (let i = 0; i < this.#due.length; i++) {
          const entry = this.#due[i]!;
          if (!entry.queued || entry.seq !== this.#dueSeq[i]) continue;
          entry.queued = false;
          this.#fired++;
          entry.fire(this.#now);
        }
        this.#due.length = 0;
        this.#dueSeq.length = 0;
      }
      if (windowEnd < 0) break;
      await settle();
      // Settling never lets the event loop turn: give it one now and then, for progress
      // output, signals and workers' messages (virtual time takes no input from it). Reading
      // the real clock at every instant cost 2 % of a run: look at it every 256th.
      if ((++settled & 255) === 0 && performance.now() - lastTurn > 50) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
      }
      onSettled?.(this.#now);
    }
    if (until > this.#now && Number.isFinite(until)) this.#now = until;
  }

  /** Real time moved on (an I/O callback is about to act): now becomes `t` if that is later. */
  advanceTo(t: number): void {
    if (t > this.#now) this.#now = Math.floor(t);
  }

  /**
   * Run in real time until `until` (ms on `elapsed`, the real clock) or until `done()`: entries
   * run when their time comes on the real clock, and I/O callbacks in between (a real MQTT
   * broker's) advance the queue to the real time before they act.
   */
  async runRealTime(until: number, elapsed: () => number, done: () => boolean = () => false): Promise<void> {
    for (;;) {
      const wall = elapsed();
      await this.run(Math.min(wall, until));
      this.advanceTo(Math.min(wall, until));
      if (wall >= until || done()) return;
      const next = this.#due.length > 0 ? wall : Math.min(this.#at[0] ?? Infinity, until);
      await new Promise<void>((resolve) => setTimeout(resolve, Math.max(1, Math.min(100, next - elapsed()))));
    }
  }

  #push(entry: Timed): void {
    const at = this.#at,
      seqs = this.#seqs,
      entries = this.#entries;
    const t = entry.at,
      s = entry.seq;
    let i = at.length;
    at.push(t);
    seqs.push(s);
    entries.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = at[parent]!;
      if (pt < t || (pt === t && seqs[parent]! < s)) break;
      at[i] = pt;
      seqs[i] = seqs[parent]!;
      entries[i] = entries[parent]!;
      i = parent;
    }
    at[i] = t;
    seqs[i] = s;
    entries[i] = entry;
  }

  #pop(): void {
    const at = this.#at,
      seqs = this.#seqs,
      entries = this.#entries;
    const t = at.pop()!,
      s = seqs.pop()!,
      e = entries.pop()!;
    const n = at.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (at[r]! < at[l]! || (at[r] === at[l] && seqs[r]! < seqs[l]!)) ? r : l;
      const ct = at[child]!;
      if (ct > t || (ct === t && seqs[child]! > s)) break;
      at[i] = ct;
      seqs[i] = seqs[child]!;
      entries[i] = entries[child]!;
      i = child;
    }
    at[i] = t;
    seqs[i] = s;
    entries[i] = e;
  }
}
