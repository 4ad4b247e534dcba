// The entry of the thread of one origin's service workers: it opens the origin's storage,
// then builds a global scope for each worker the agent starts in it, runs the worker's
// script's top level, and answers the agent's requests (lifecycle events, sync events,
// evaluations, pings) for as long as the agent keeps the thread. A listener that never returns
// blocks only this thread, the origin's; the agent terminates it from outside.

import { Console } from "node:console";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { answerError } from "../browser/worker-protocol.js";
import { retryAfterOf } from "../retry-after.js";
import { ExtendableEvent } from "../web-api/extendable-event.js";
import { PeriodicSyncEvent, SyncEvent } from "../web-api/sync-events.js";
import { createPeriodicSyncManager } from "../web-api/periodic-sync-manager.js";
import { createSyncManager } from "../web-api/sync-manager.js";
import { ServiceWorkerGlobalScope, describe, type WindowClientInfo } from "./service-worker-global-scope.js";
import {
  STARTED,
  thrownAnswer,
  type CallReply,
  type EventOutcome,
  type FromThread,
  type LifecycleOutcome,
  type NewCall,
  type ThreadData,
  type ToThread,
  type WorkerScript,
} from "./service-worker-protocol.js";
import { openWorkerIndexedDB, type WorkerIndexedDB } from "./worker-indexeddb.js";

const port = parentPort!;
const data = workerData as ThreadData;
const post = (message: FromThread) => port.postMessage(message);
const online = new Int32Array(data.online);

const pendingCalls = new Map<number, (answer: CallReply) => void>();
let nextCall = 1;

/** Ask the agent for `scope`'s worker; its answer or its exception, rebuilt here. */
function ask<T>(scope: string, request: NewCall): Promise<T> {
  const call = nextCall++;
  return new Promise<T>((resolve, reject) => {
    pendingCalls.set(call, (answer) => {
      if (answer.ok) resolve(answer.value as T);
      else reject(answerError(answer));
    });
    post({ ...request, call, scope } as FromThread);
  });
}

function lines(scope: string, stream: "stdout" | "stderr"): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      post({ note: "console", scope, stream, text: chunk.toString("utf8").replace(/\n$/, "") });
      done();
    },
  });
}

/** A worker's global scope, with what it asks the agent routed under its scope. */
function globalScope(script: WorkerScript, storage: WorkerIndexedDB): ServiceWorkerGlobalScope {
  const { scope } = script;
  /** register() resolved in this realm: tell the agent, a task later, that its event may follow. */
  const confirmed = (kind: "one-shot" | "periodic", tag: string) => void setTimeout(() => post({ note: "resolved", scope, kind, tag }), 0);
  return new ServiceWorkerGlobalScope(
    scope,
    new URL(script.scriptURL),
    {
      log: (line) => post({ note: "log", scope, line }),
      console: new Console({ stdout: lines(scope, "stdout"), stderr: lines(scope, "stderr") }),
      online: () => Atomics.load(online, 0) === 1,
      clients: () => ask<WindowClientInfo[]>(scope, { op: "clients" } as NewCall),
      unregister: () => ask<boolean>(scope, { op: "unregister" } as NewCall),
      imported: (url) => post({ note: "imported", scope, url }),
      sync: createSyncManager({
        register: (tag) => ask<void>(scope, { op: "register", kind: "one-shot", tag, minInterval: 0 } as NewCall).then(() => confirmed("one-shot", tag)),
        getTags: () => ask<string[]>(scope, { op: "getTags", kind: "one-shot" } as NewCall),
      }),
      periodicSync: createPeriodicSyncManager({
        register: (tag, minInterval) =>
          ask<void>(scope, { op: "register", kind: "periodic", tag, minInterval } as NewCall).then(() => confirmed("periodic", tag)),
        getTags: () => ask<string[]>(scope, { op: "getTags", kind: "periodic" } as NewCall),
        unregister: (tag) => ask<void>(scope, { op: "unregisterPeriodic", tag } as NewCall),
      }),
    },
    storage,
    script,
  );
}

async function fire(worker: ServiceWorkerGlobalScope, type: "sync" | "periodicsync", tag: string, lastChance: boolean): Promise<EventOutcome> {
  const event = type === "sync" ? new SyncEvent("sync", { tag, lastChance }) : new PeriodicSyncEvent("periodicsync", { tag });
  const result = await worker.dispatch(event);
  if (!result.failed) return { failed: false };
  if (result.threw) return { failed: true, threw: true };
  worker.report(`${type} event "${tag}": waitUntil rejected`, result.reason);
  const retryAfterMs = retryAfterOf(result.reason, Date.now());
  return { failed: true, threw: false, reason: describe(result.reason), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

async function lifecycle(worker: ServiceWorkerGlobalScope, type: "install" | "activate"): Promise<LifecycleOutcome> {
  const result = await worker.dispatch(new ExtendableEvent(type));
  return result.failed ? { failed: true, reason: describe(result.reason) } : { failed: false };
}

const workers = new Map<string, ServiceWorkerGlobalScope>();

function start(script: WorkerScript, storage: WorkerIndexedDB): void {
  if (workers.has(script.scope)) throw new Error(`${script.scope} already runs in this thread`);
  const worker = globalScope(script, storage);
  try {
    worker.run(script.code, fileURLToPath(worker.scriptURL));
  } catch (error) {
    worker.close();
    throw error;
  }
  workers.set(script.scope, worker);
}

function workerOf(scope: string): ServiceWorkerGlobalScope {
  const worker = workers.get(scope);
  if (!worker) throw new Error(`${scope} does not run in this thread`);
  return worker;
}

async function answer(message: Exclude<ToThread, CallReply>, storage: WorkerIndexedDB): Promise<unknown> {
  switch (message.cmd) {
    case "ping":
      return undefined;
    case "start":
      return start(message, storage);
    case "close":
      return storage.close();
    case "drop":
      workers.get(message.scope)?.close();
      workers.delete(message.scope);
      return undefined;
    case "installed":
      workerOf(message.scope).installed = true;
      return undefined;
    case "lifecycle":
      return lifecycle(workerOf(message.scope), message.type);
    case "fire":
      return fire(workerOf(message.scope), message.type, message.tag, message.lastChance);
    // Indirect eval: the expression runs in the worker's global scope, as a console would.
    case "evaluate":
      return await (workerOf(message.scope).global.eval as (code: string) => unknown)(message.expression);
  }
}

function serve(storage: WorkerIndexedDB): void {
  port.on("message", (message: ToThread) => {
    if ("call" in message) {
      pendingCalls.get(message.call)?.(message);
      pendingCalls.delete(message.call);
      return;
    }
    answer(message, storage)
      .then(
        (value) => post({ id: message.id, ok: true, ...(value === undefined ? {} : { value }) }),
        (error: unknown) => post(thrownAnswer(message.id, error)),
      )
      .catch((error: unknown) =>
        post(thrownAnswer(message.id, new DOMException(`the value cannot be sent to the agent: ${describe(error)}`, "DataCloneError"))),
      );
  });
}

// Errors that escape every handler of the workers' own (a stray rejection of a promise a
// script dropped) are the origin's, reported; they must not end the thread.
const report = (what: string, error: unknown) => post({ note: "log", line: `${data.origin}: ${what}: ${describe(error)}` });
process.on("uncaughtException", (error) => report("uncaught error", error));
process.on("unhandledRejection", (error) => report("unhandled rejection", error));

openWorkerIndexedDB({ origin: data.origin, directory: data.storageDirectory, log: (line) => post({ note: "log", line }) }).then(
  (storage) => {
    serve(storage);
    post({ id: STARTED, ok: true });
  },
  (error: unknown) => post(thrownAnswer(STARTED, error)),
);
