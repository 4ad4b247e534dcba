// The entry of a service worker's thread: it builds the worker's global scope, runs the
// script's top level, and then answers the agent's requests (lifecycle events, sync events,
// evaluations, pings) for as long as the agent keeps the thread. A listener that never returns
// blocks only this thread; the agent terminates it from outside.

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
import { STARTED, thrownAnswer, type EventOutcome, type FromThread, type LifecycleOutcome, type CallReply, type NewCall, type ThreadData, type ToThread } from "./service-worker-protocol.js";
import { openWorkerIndexedDB } from "./worker-indexeddb.js";


const port = parentPort!;
const data = workerData as ThreadData;
const post = (message: FromThread) => port.postMessage(message);

const pendingCalls = new Map<number, (answer: CallReply) => void>();
let nextCall = 1;

/** Ask the agent; its answer or its exception, rebuilt here. */
function ask<T>(request: NewCall): Promise<T> {
  const call = nextCall++;
  return new Promise<T>((resolve, reject) => {
    pendingCalls.set(call, (answer) => {
      if (answer.ok) resolve(answer.value as T);
      else reject(answerError(answer));
    });
    post({ call, ...request });
  });
}

/** register() resolved in this realm: tell the agent, a task later, that its event may follow. */
function confirmed(kind: "one-shot" | "periodic", tag: string): void {
  setTimeout(() => post({ note: "resolved", kind, tag }), 0);
}

function lines(stream: "stdout" | "stderr"): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      post({ note: "console", stream, text: chunk.toString("utf8").replace(/\n$/, "") });
      done();
    },
  });
}

const online = new Int32Array(data.online);
const scriptURL = new URL(data.scriptURL);
const worker = new ServiceWorkerGlobalScope(data.scope, scriptURL, {
  log: (line) => post({ note: "log", line }),
  console: new Console({ stdout: lines("stdout"), stderr: lines("stderr") }),
  online: () => Atomics.load(online, 0) === 1,
  clients: () => ask<WindowClientInfo[]>({ op: "clients" }),
  unregister: () => ask<boolean>({ op: "unregister" }),
  imported: (url) => post({ note: "imported", url }),
  sync: createSyncManager({
    register: (tag) => ask<void>({ op: "register", kind: "one-shot", tag, minInterval: 0 }).then(() => confirmed("one-shot", tag)),
    getTags: () => ask<string[]>({ op: "getTags", kind: "one-shot" }),
  }),
  periodicSync: createPeriodicSyncManager({
    register: (tag, minInterval) => ask<void>({ op: "register", kind: "periodic", tag, minInterval }).then(() => confirmed("periodic", tag)),
    getTags: () => ask<string[]>({ op: "getTags", kind: "periodic" }),
    unregister: (tag) => ask<void>({ op: "unregisterPeriodic", tag }),
  }),
}, openWorkerIndexedDB({ origin: data.origin, directory: data.storageDirectory }), data);

async function fire(type: "sync" | "periodicsync", tag: string, lastChance: boolean): Promise<EventOutcome> {
  const event = type === "sync" ? new SyncEvent("sync", { tag, lastChance }) : new PeriodicSyncEvent("periodicsync", { tag });
  const result = await worker.dispatch(event);
  if (!result.failed) return { failed: false };
  if (result.threw) return { failed: true, threw: true };
  worker.report(`${type} event "${tag}": waitUntil rejected`, result.reason);
  const retryAfterMs = retryAfterOf(result.reason, Date.now());
  return { failed: true, threw: false, reason: describe(result.reason), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

async function lifecycle(type: "install" | "activate"): Promise<LifecycleOutcome> {
  const result = await worker.dispatch(new ExtendableEvent(type));
  return result.failed ? { failed: true, reason: describe(result.reason) } : { failed: false };
}

async function answer(message: ToThread): Promise<unknown> {
  if ("call" in message) {
    pendingCalls.get(message.call)?.(message);
    pendingCalls.delete(message.call);
    return undefined;
  }
  switch (message.cmd) {
    case "ping": return undefined;
    case "installed": worker.installed = true; return undefined;
    case "lifecycle": return lifecycle(message.type);
    case "fire": return fire(message.type, message.tag, message.lastChance);
    // Indirect eval: the expression runs in the worker's global scope, as a console would.
    case "evaluate": return await (worker.global.eval as (code: string) => unknown)(message.expression);
  }
}

port.on("message", (message: ToThread) => {
  if ("call" in message) {
    void answer(message);
    return;
  }
  answer(message).then(
    (value) => post({ id: message.id, ok: true, ...(value === undefined ? {} : { value }) }),
    (error: unknown) => post(thrownAnswer(message.id, error)),
  ).catch((error: unknown) => post(thrownAnswer(message.id, new DOMException(`the value cannot be sent to the agent: ${describe(error)}`, "DataCloneError"))));
});

// Errors that escape every handler of the worker's own (a stray rejection of a promise the
// script dropped) are the worker's, reported; they must not end the thread.
process.on("uncaughtException", (error) => worker.report("uncaught error", error));
process.on("unhandledRejection", (error) => worker.report("unhandled rejection", error));

try {
  worker.run(data.code, fileURLToPath(scriptURL));
  post({ id: STARTED, ok: true });
} catch (error) {
  post(thrownAnswer(STARTED, error));
}
