// One registered service worker script as the agent keeps it, in Chromium's terms a
// ServiceWorkerVersion: the script it read once, whether it is installed and what it imported,
// and its running status. It runs in the thread of its origin (origin-thread.ts), started on
// demand; every request to it has a time limit, and a thread that does not even answer a ping
// once a limit passed is stuck (a synchronous loop in a listener): it is terminated, and the
// next event starts it again, as Chromium stops a hung worker and starts it for the next event.

import type { EventSignal } from "../event-signal.js";
import type { OriginThread } from "./origin-thread.js";
import type { NewRequest, WorkerScript } from "./service-worker-protocol.js";
import { ThreadEnded, type ServiceWorkerThread, type ThreadHandlers } from "./service-worker-thread.js";

/** Time limits of a Node-hosted service worker, in milliseconds. */
export interface ServiceWorkerLimits {
  /** The script's top level, at load and at each restart. Default 5 min (Chromium's limit to start a worker). */
  startMs?: number;
  /** The install event until its waitUntil promises settle. Default 5 min (Chromium's for an event). */
  installMs?: number;
  /** The activate event, likewise. Default 5 min. */
  activateMs?: number;
  /**
   * How long a thread has to answer a ping once a request to it passed its limit; a thread
   * that stays silent is stuck and is terminated. Default 10 s.
   */
  unresponsiveMs?: number;
}

const DEFAULT_LIMITS: Required<ServiceWorkerLimits> = { startMs: 300_000, installMs: 300_000, activateMs: 300_000, unresponsiveMs: 10_000 };
/** A timer takes at most 2^31 - 1 ms; past it Node fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `given` over the defaults; a value that is no positive number of ms a timer can wait is a RangeError. */
export function workerLimits(given: ServiceWorkerLimits): Required<ServiceWorkerLimits> {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ServiceWorkerLimits)[]) {
    const value: unknown = given[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value > 0)) throw new RangeError(`workerLimits.${key} must be a positive number of milliseconds`);
    if (value > MAX_TIMER_MS) throw new RangeError(`workerLimits.${key} must be at most ${MAX_TIMER_MS} ms (24.8 days)`);
    limits[key] = value;
  }
  return limits;
}

/** How a request ended: answered, or not within its limit (or its signal's abort). */
export type Answered = { answered: true; value: unknown } | { answered: false };

const NOT_ANSWERED: Answered = { answered: false };
/** Threads a worker's script may see end under it (another worker of its origin was stuck) before it gives up. */
const START_TRIES = 3;

/** `answer`, unless `limitMs` passes or `signal` aborts first: then `onOverrun`. */
export function answeredWithin(answer: Promise<unknown>, limitMs: number, signal: EventSignal | undefined, onOverrun: () => void): Promise<Answered> {
  return new Promise<Answered>((resolve, reject) => {
    const overran = () => {
      finish();
      resolve(NOT_ANSWERED);
      onOverrun();
    };
    // Infinity: the signal alone ends the wait (setTimeout would take it as 1 ms).
    const timer = Number.isFinite(limitMs) ? setTimeout(overran, limitMs) : undefined;
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", overran);
    };
    signal?.addEventListener("abort", overran, { once: true });
    if (signal?.aborted) overran();
    answer.then(
      (value) => {
        finish();
        resolve({ answered: true, value });
      },
      (error: unknown) => {
        finish();
        reject(error);
      },
    );
  });
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request to the version's own worker in its thread. */
export type WorkerRequest = DistributiveOmit<Extract<NewRequest, { cmd: "lifecycle" | "fire" | "installed" | "evaluate" }>, "scope">;

/** A request as the log names it. */
function what(message: WorkerRequest): string {
  switch (message.cmd) {
    case "fire":
      return `the ${message.type} event "${message.tag}"`;
    case "lifecycle":
      return `the ${message.type} event`;
    default:
      return `an ${message.cmd} request`;
  }
}

export class ServiceWorkerVersion {
  #thread: ServiceWorkerThread | undefined;
  /** The origin's current thread once this worker's script's top level ran in it. */
  #running: Promise<ServiceWorkerThread> | undefined;
  readonly #imported = new Set<string>();
  #installed = false;
  #stopped = false;

  constructor(
    readonly script: Omit<WorkerScript, "installed" | "imported">,
    readonly origin: OriginThread,
    handlers: ThreadHandlers,
    readonly log: (line: string) => void,
  ) {
    origin.join(script.scope, handlers);
  }

  get #limits(): Required<ServiceWorkerLimits> {
    return this.origin.limits;
  }

  /** Installation finished: from now on, this thread and any restarted one serve only the scripts imported until now. */
  installed(): void {
    this.#installed = true;
    // Not awaited: the thread takes it before any later request; a thread that ends meanwhile needs it no more.
    this.#thread?.request({ cmd: "installed", scope: this.script.scope }).catch(() => {});
  }

  /** A script the worker imported before installation. */
  imported(url: string): void {
    if (!this.#installed) this.#imported.add(url);
  }

  /** The origin's thread with this worker's script run in it, started now if it is not: rejects with the script's exception or at the start limit. */
  running(): Promise<ServiceWorkerThread> {
    if (this.#stopped) return Promise.reject(new Error(`${this.script.scope}: the service worker is stopped for good`));
    if (!this.#running || this.#thread?.ended) this.#running = this.#start();
    return this.#running;
  }

  async #start(): Promise<ServiceWorkerThread> {
    for (let tries = 1; ; tries++) {
      const thread = await this.origin.running();
      this.#thread = thread;
      const start = thread.request({ cmd: "start", ...this.script, installed: this.#installed, imported: [...this.#imported] });
      try {
        // The top level is synchronous: past its limit the thread is stuck, no ping needed.
        const started = await answeredWithin(start, this.#limits.startMs, undefined, () => void thread.terminate());
        if (!started.answered) throw new Error(`${this.script.scope}: the script's top level ran past its limit of ${this.#limits.startMs} ms`);
        return thread;
      } catch (error) {
        // The thread ended before the script ran: another worker of the origin was stuck in it.
        if (!(error instanceof ThreadEnded) || this.#stopped || tries === START_TRIES) throw error;
      }
    }
  }

  /**
   * Send `message` to the worker in its running thread (starting it if needed) and wait at most
   * `limitMs` or until `signal` aborts. Rejects with the worker's exception, or when its thread ended.
   */
  async request(message: WorkerRequest, limitMs: number, signal?: EventSignal): Promise<Answered> {
    const thread = await this.running();
    return answeredWithin(thread.request({ ...message, scope: this.script.scope }), limitMs, signal, () => void this.#stopIfStuck(thread, what(message)));
  }

  async #stopIfStuck(thread: ServiceWorkerThread, what: string): Promise<void> {
    if (thread.ended) return;
    const pong = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.#limits.unresponsiveMs);
      thread
        .request({ cmd: "ping" })
        .then(
          () => resolve(true),
          () => resolve(false),
        )
        .finally(() => clearTimeout(timer));
    });
    if (await pong) return;
    if (thread.ended) return;
    this.log(
      `${this.script.scope}: ${what} ran past its limit and the worker's thread did not answer for ${this.#limits.unresponsiveMs} ms: terminated, with the other workers of ${this.origin.data.origin}; they start again for their next event`,
    );
    await thread.terminate();
  }

  /** Take the worker out of its thread now, for good: it was unregistered, failed to install, or the host closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#thread = undefined;
    this.#running = undefined;
    await this.origin.leave(this.script.scope);
  }
}
