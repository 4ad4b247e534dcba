// One run of the thread of an origin's service workers, seen from the agent: it starts the
// thread (which opens the origin's storage), sends it requests and matches their answers,
// hands each worker's calls and notes to that worker's handlers, and ends it. `terminate()` ends even a thread stuck in `while (true) {}`: the
// agent's own thread never runs worker code, so it stays free to do so.

import { Worker } from "node:worker_threads";
import { errorAnswer } from "../browser/worker-protocol.js";
import { answerError, STARTED, type AgentCall, type FromThread, type ThreadData, type NewRequest, type ThreadNote } from "./service-worker-protocol.js";

export interface ThreadHandlers {
  /** Answer one of the worker's calls (register(), getTags(), clients, …); a rejection is its exception. */
  call(call: AgentCall): Promise<unknown>;
  note(note: ThreadNote): void;
}

/** The handlers of the worker of a scope; undefined once it left the thread. */
export type HandlersOf = (scope: string) => ThreadHandlers | undefined;

/** Raised for the requests a thread had not answered when it ended. */
export class ThreadEnded extends Error {
  override name = "ThreadEnded";
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const ENTRY = new URL("./service-worker-main.js", import.meta.url);

export class ServiceWorkerThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers: HandlersOf;
  readonly #log: (line: string) => void;
  #nextId = STARTED + 1;
  #ended = false;
  /** Resolves once the thread opened its origin's storage; rejects with the reason it could not. */
  readonly started: Promise<void>;
  /** Resolves once the thread is gone: no code of it runs and no write of it is in flight any more. */
  readonly exited: Promise<void>;

  constructor(data: ThreadData, handlers: HandlersOf, log: (line: string) => void) {
    this.#handlers = handlers;
    this.#log = log;
    this.started = new Promise<void>((resolve, reject) => this.#pending.set(STARTED, { resolve: () => resolve(), reject }));
    // Observed by whoever awaits it; a thread that fails to start must not be an unhandled rejection meanwhile.
    this.started.catch(() => {});
    this.#worker = new Worker(ENTRY, { workerData: data });
    this.#worker.on("message", (message: FromThread) => this.#received(message));
    this.#worker.on("error", (error) => this.#end(error));
    // Node emits `exit` after the thread's pending requests (an fs write, an fsync) completed.
    this.exited = new Promise((resolve) => this.#worker.once("exit", () => resolve()));
    this.#worker.on("exit", (code) => this.#end(new ThreadEnded(`the worker's thread ended (exit code ${code})`)));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Send a request; resolves with the thread's answer, rejects with its exception or ThreadEnded. */
  request(message: NewRequest): Promise<unknown> {
    if (this.#ended) return Promise.reject(new ThreadEnded("the worker's thread has ended"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...message });
    });
  }

  /** End the thread, whatever it is doing; its unanswered requests reject with ThreadEnded. Resolves once it exited. */
  async terminate(): Promise<void> {
    this.#end(new ThreadEnded("the worker's thread was terminated"));
    await this.#worker.terminate();
    await this.exited;
  }

  #end(error: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #received(message: FromThread): void {
    if ("note" in message) {
      const handlers = message.scope === undefined ? undefined : this.#handlers(message.scope);
      if (handlers) handlers.note(message);
      else if (message.note === "log") this.#log(message.line);
    } else if ("call" in message) {
      const { call, scope } = message;
      const handlers = this.#handlers(scope);
      const answered = handlers ? handlers.call(message) : Promise.reject(new DOMException(`${scope} is no longer registered.`, "InvalidStateError"));
      answered
        .then(
          (value) => ({ ok: true as const, ...(value === undefined ? {} : { value }) }),
          (error: unknown) => errorAnswer(error) as { ok: false; name: string; message: string },
        )
        .then((answer) => {
          if (!this.#ended) this.#worker.postMessage({ call, ...answer });
        });
    } else {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(answerError(message));
    }
  }
}
