// The page's answers to its workers' `registration.sync` / `periodicSync` calls. A worker
// has no Agent of its own, so it asks a window client; this performs the call exactly as
// the page's own call would be performed and posts back the result or the exception. While
// the native API serves the page, the answer is "native": the worker calls its own.

import type { PageApi, WorkerCall } from "./page-api.js";
import { errorAnswer, isCallRequest, isProtocolMessage, type CallAnswer, type CallRequest } from "./worker-protocol.js";

async function answer(api: PageApi, container: ServiceWorkerContainer, request: CallRequest): Promise<CallAnswer> {
  if (request.takeOver) api.takeOver();
  if (!api.serving) return { native: true };
  const registration = (await container.getRegistrations()).find((r) => r.scope === request.scope);
  if (!registration) return { ok: false, name: "InvalidStateError", message: `No service worker registration for ${request.scope}.` };
  const tag = request.tag ?? "";
  const call: WorkerCall =
    request.op === "register"
      ? { op: "register", kind: request.kind, tag, minInterval: request.minInterval ?? 0 }
      : request.op === "getTags"
        ? { op: "getTags", kind: request.kind }
        : { op: request.op, kind: request.kind, tag };
  try {
    const value = await api.perform(registration, call);
    return value === undefined ? { ok: true } : { ok: true, value };
  } catch (error) {
    return errorAnswer(error);
  }
}

export function answerWorkerCalls(api: PageApi, container: ServiceWorkerContainer, problem: (line: string) => void): void {
  container.addEventListener("message", (event) => {
    if (!isProtocolMessage(event.data, "call")) return;
    event.stopImmediatePropagation();
    const port = event.ports[0];
    if (!isCallRequest(event.data)) {
      problem(`ignored a malformed call from a worker: ${JSON.stringify(event.data)}`);
      return port?.postMessage({ ok: false, name: "TypeError", message: "malformed syncward call" } satisfies CallAnswer);
    }
    if (!port) return problem("a worker's call came without its answer port");
    void answer(api, container, event.data).then((reply) => port.postMessage(reply));
  });
}
