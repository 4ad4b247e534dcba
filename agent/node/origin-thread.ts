// The thread of one origin's service workers: all workers of an origin share one thread, as
// they share one IndexedDB, and the thread is the only one that opens the origin's journal.
// Why one thread per origin: a journal has one writer (two threads appending to one file would
// interleave their frames), and an IndexedDB transaction's semantics (auto-commit, `complete`
// after the fsync) need the database in the thread of the code that uses it. So a worker stuck
// in `while (true) {}` takes down its origin's thread only; the agent and other origins' workers
// go on, and the thread that starts next reloads the journal: every transaction whose
// `complete` fired is in it.

import { answeredWithin, type ServiceWorkerLimits } from "./service-worker-version.js";
import type { NewRequest, ThreadData } from "./service-worker-protocol.js";
import { ServiceWorkerThread, type ThreadHandlers } from "./service-worker-thread.js";

export class OriginThread {
  /** The workers of the origin that the host keeps, by scope. */
  readonly #members = new Map<string, ThreadHandlers>();
  #thread: ServiceWorkerThread | undefined;
  /** The current thread once it opened the origin's storage. */
  #running: Promise<ServiceWorkerThread> | undefined;

  constructor(
    readonly data: ThreadData,
    readonly limits: Required<ServiceWorkerLimits>,
    readonly log: (line: string) => void,
  ) {}

  /** A worker of the origin: the thread hands it its calls and notes. */
  join(scope: string, handlers: ThreadHandlers): void {
    this.#members.set(scope, handlers);
  }

  /** The running thread, started now if it is not: rejects if it cannot open the storage within the start limit. */
  running(): Promise<ServiceWorkerThread> {
    if (!this.#running || this.#thread?.ended) this.#running = this.#start();
    return this.#running;
  }

  async #start(): Promise<ServiceWorkerThread> {
    // One writer per journal: the thread before (terminated as stuck, or closing) is gone,
    // writes in flight and all, before the next one opens the journal.
    await this.#thread?.exited;
    const thread = new ServiceWorkerThread(this.data, (scope) => this.#members.get(scope), this.log);
    this.#thread = thread;
    const started = await answeredWithin(thread.started, this.limits.startMs, undefined, () => void thread.terminate()).catch(async (error: unknown) => {
      await thread.terminate();
      throw error;
    });
    if (!started.answered) throw new Error(`${this.data.origin}: the workers' thread did not open its storage within ${this.limits.startMs} ms`);
    return thread;
  }

  /** A worker left for good: its global scope goes; the last one's going closes the storage and ends the thread. */
  async leave(scope: string): Promise<void> {
    this.#members.delete(scope);
    const thread = this.#thread;
    if (!thread || thread.ended) return;
    if (this.#members.size > 0) {
      await this.#ask(thread, { cmd: "drop", scope });
      return;
    }
    this.#running = undefined;
    await this.#ask(thread, { cmd: "close" });
    await thread.terminate();
  }

  /** A request the thread answers at once unless stuck: then it is terminated. */
  async #ask(thread: ServiceWorkerThread, message: NewRequest): Promise<void> {
    const answer = await answeredWithin(thread.request(message), this.limits.unresponsiveMs, undefined, () => {}).catch(() => ({ answered: false }));
    if (!answer.answered) await thread.terminate();
  }
}
