// One run of a service worker's thread, seen from the agent: it starts the thread with the
// script, sends it requests and matches their answers, hands the thread's own calls and notes
// to the host, and ends it. `terminate()` ends even a thread stuck in `while (true) {}`: the
// agent's own thread never runs worker code, so it stays free to do so.

import { Worker } from "node:worker_threads";
import { errorAnswer } from "../browser/worker-protocol.js";
import {
  answerError, STARTED, type AgentCall, type FromThread, type ThreadData, type NewRequest, type ThreadNote,
} from "./service-worker-protocol.js";

export interface ThreadHandlers {
  /** Answer one of the worker's calls (register(), getTags(), clients, …); a rejection is its exception. */
  call(call: AgentCall): Promise<unknown>;
  note(note: ThreadNote): void;
}

/** Raised for the requests a thread had not answered when it ended. */
class ThreadEnded extends Error {
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
  readonly #handlers: ThreadHandlers;
  #nextId = STARTED + 1;
  #ended = false;
  /** Resolves once the script's top level ran; rejects with its exception. */
  readonly started: Promise<void>;

  constructor(data: ThreadData, handlers: ThreadHandlers) {
    this.#handlers = handlers;
    this.started = new Promise<void>((resolve, reject) => this.#pending.set(STARTED, { resolve: () => resolve(), reject }));
    // Observed by whoever awaits it; a thread that fails to start must not be an unhandled rejection meanwhile.
    this.started.catch(() => {});
    this.#worker = new Worker(ENTRY, { workerData: data });
    this.#worker.on("message", (message: FromThread) => this.#received(message));
    this.#worker.on("error", (error) => this.#end(error));
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

  /** End the thread, whatever it is doing; its unanswered requests reject with ThreadEnded. */
  async terminate(): Promise<void> {
    this.#end(new ThreadEnded("the worker's thread was terminated"));
    await this.#worker.terminate();
  }

  #end(error: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #received(message: FromThread): void {
    if ("note" in message) {
      this.#handlers.note(message);
    } else if ("call" in message) {
      const { call } = message;
      this.#handlers.call(message).then(
        (value) => ({ ok: true as const, ...(value === undefined ? {} : { value }) }),
        (error: unknown) => errorAnswer(error) as { ok: false; name: string; message: string },
      ).then((answer) => {
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
