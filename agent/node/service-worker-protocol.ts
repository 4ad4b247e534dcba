// The messages between the agent and the thread of one origin's service workers. The agent
// asks (start a worker's script, run a lifecycle event, fire a sync event, evaluate an
// expression, answer a ping) and the thread answers each request by its id; a worker asks the
// agent what only the agent knows (register(), getTags(), clients) and reports its console
// and its diagnostics. Every request, call and note that concerns one worker names its scope.
//
//   agent → thread  ThreadRequest (id)           → ThreadAnswer (same id)
//   thread start    the origin's storage opened  → ThreadAnswer (id 0)
//   thread → agent  AgentCall (call)             → CallReply (same call)
//   thread → agent  ThreadNote: log, console, imported, resolved

import type { Kind } from "../browser/worker-protocol.js";

/** What an origin's thread needs to open the origin's storage. */
export interface ThreadData {
  /** The origin of the thread's workers, whose IndexedDB it opens. */
  origin: string;
  /** Where the origin's storage lives on disk, if it has any there (see worker-indexeddb.ts). */
  storageDirectory: string | undefined;
  /** One Int32: 1 while the agent is online (navigator.onLine, read without a round trip). */
  online: SharedArrayBuffer;
}

/** What the thread needs to build one worker's global scope and run its script. */
export interface WorkerScript {
  scope: string;
  /** The script's file: URL. */
  scriptURL: string;
  /** The script's text, read once at load: a restart runs the same version. */
  code: string;
  /** Whether installation finished: from then on importScripts serves only `imported`. */
  installed: boolean;
  imported: string[];
}

export type ThreadRequest =
  | ({ id: number; cmd: "start" } & WorkerScript)
  | { id: number; scope: string; cmd: "lifecycle"; type: "install" | "activate" }
  | { id: number; scope: string; cmd: "fire"; type: "sync" | "periodicsync"; tag: string; lastChance: boolean }
  | { id: number; scope: string; cmd: "installed" }
  | { id: number; scope: string; cmd: "evaluate"; expression: string }
  /** The worker is gone (unregistered, failed to install): its global scope and timers go. */
  | { id: number; scope: string; cmd: "drop" }
  /** The last worker of the origin is gone: wait for the storage's commits in flight. */
  | { id: number; cmd: "close" }
  | { id: number; cmd: "ping" };

/** How an extendable event ended in the worker. */
export type EventOutcome =
  | { failed: false }
  /** A listener threw: Chromium's "failed". */
  | { failed: true; threw: true }
  /** A waitUntil promise rejected; the rejection's Retry-After, if it had one (agent/retry-after.ts). */
  | { failed: true; threw: false; reason: string; retryAfterMs?: number };

/** How install or activate ended in the worker. */
export type LifecycleOutcome = { failed: false } | { failed: true; reason: string };

export type ThreadAnswer = { id: number; ok: true; value?: unknown } | { id: number; ok: false; name: string; message: string; stack?: string };

export type AgentCall = { call: number; scope: string } & (
  | { op: "register"; kind: Kind; tag: string; minInterval: number }
  | { op: "getTags"; kind: Kind }
  | { op: "unregisterPeriodic"; tag: string }
  | { op: "unregister" }
  | { op: "clients" }
);

/** The agent's answer to a call: its value, or its exception by name (rebuilt as a DOMException or TypeError). */
export type CallReply = { call: number } & ({ ok: true; value?: unknown } | { ok: false; name: string; message: string });

/** A note of the thread's; `scope` names its worker, absent for the thread's own (a log line). */
export type ThreadNote =
  | { note: "log"; scope?: string; line: string }
  | { note: "console"; scope: string; stream: "stdout" | "stderr"; text: string }
  /** A script was imported before installation: a restarted thread may import it again. */
  | { note: "imported"; scope: string; url: string }
  /** The worker's register() promise resolved: its event may follow. */
  | { note: "resolved"; scope: string; kind: Kind; tag: string };

export type FromThread = ThreadAnswer | AgentCall | ThreadNote;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request as its sender writes it; the thread handle numbers it. */
export type NewRequest = DistributiveOmit<ThreadRequest, "id">;
/** A call as the worker writes it; its thread numbers it. */
export type NewCall = DistributiveOmit<AgentCall, "call">;
export type ToThread = ThreadRequest | CallReply;

/** The id of the answer that says whether the thread opened its origin's storage. */
export const STARTED = 0;

/** An exception as it crosses to the other thread, stack and all (one made in the worker's realm is no `instanceof Error` here). */
export function thrownAnswer(id: number, error: unknown): ThreadAnswer {
  if (typeof error === "object" && error !== null && "message" in error) {
    const { name, message, stack } = error as { name?: unknown; message?: unknown; stack?: unknown };
    return { id, ok: false, name: String(name ?? "Error"), message: String(message), ...(typeof stack === "string" ? { stack } : {}) };
  }
  return { id, ok: false, name: "Error", message: String(error) };
}

/** The exception an answer carries, rebuilt on this side with its name and stack. */
export function answerError(answer: { name: string; message: string; stack?: string }): Error {
  const error = new Error(answer.message);
  error.name = answer.name;
  if (answer.stack !== undefined) error.stack = answer.stack;
  return error;
}
