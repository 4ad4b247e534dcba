// The messages between the page script and the worker script. Every one carries `syncward`
// with the protocol version, so an app's own message listeners can tell them apart, and
// every request carries a MessagePort for its single answer.
//
//   page → worker    FireRequest     "run the sync listeners for this tag"          → FireOutcome
//   worker → page    CallRequest     "register/getTags/unregister for me"           → CallAnswer
//   client → worker  WindowsRequest  "is a top-level window of the origin open?"    → WindowsAnswer
//   (a client: a nested frame, a dedicated or shared worker; only the worker sees the windows)

import type { EventSignal } from "../event-signal.js";
import { MAX_RETRY_AFTER_MS } from "../retry-after.js";

export const PROTOCOL = 1;

export type Kind = "one-shot" | "periodic";

export interface FireRequest {
  syncward: typeof PROTOCOL;
  cmd: "fire";
  type: "sync" | "periodicsync";
  tag: string;
  lastChance: boolean;
}

export interface FireOutcome {
  outcome: "success" | "failure";
  /** Chromium's failure words: "waitUntil rejected" or "failed" (a listener threw). */
  reason?: string;
  /** From dispatch to the last waitUntil promise settling, in the worker's clock. */
  durationMs: number;
  /** The server's Retry-After the handler rejected waitUntil with (retry-after.ts), in ms. */
  retryAfterMs?: number;
}

/** The Runtime binding through which devtools-hook.ts hands registrations to `syncward agent`. */
export const DEVTOOLS_BINDING = "syncwardDevTools";

/** devtools-hook.ts → the agent, through the binding (JSON): Chromium fired `tag`; take it. */
export interface HandOver {
  type: "taken";
  id: number;
  /** "periodic": Chromium's own `periodicsync`, which the agent takes only if it holds the tag. */
  kind: Kind;
  tag: string;
  lastChance: boolean;
}

export interface CallRequest {
  syncward: typeof PROTOCOL;
  cmd: "call";
  /** The worker's registration scope. */
  scope: string;
  /** "resolved": the worker's register() promise resolved, so the event may follow. */
  op: "register" | "getTags" | "unregister" | "resolved";
  kind: Kind;
  tag?: string;
  minInterval?: number;
  /** The worker's native API rejected "Background Sync is disabled.": the page must take over. */
  takeOver?: boolean;
}

export interface WindowsRequest {
  syncward: typeof PROTOCOL;
  cmd: "windows";
}

export interface WindowsAnswer {
  /** Whether a window client of the origin is top-level or auxiliary (not nested). */
  topLevel: boolean;
}

export type CallAnswer =
  | { ok: true; value?: string[] }
  | { ok: false; name: string; message: string }
  /** The page leaves this registration to the browser's own Background Sync. */
  | { native: true };

function isRecord(data: unknown): data is Record<string, unknown> {
  return typeof data === "object" && data !== null;
}

/** Whether `data` claims to be syncward's (then a malformed one is worth a log line). */
export function isProtocolMessage(data: unknown, cmd: "fire" | "call" | "windows"): boolean {
  return isRecord(data) && data.syncward === PROTOCOL && data.cmd === cmd;
}

export function isFireRequest(data: unknown): data is FireRequest {
  return (
    isRecord(data) &&
    data.syncward === PROTOCOL &&
    data.cmd === "fire" &&
    (data.type === "sync" || data.type === "periodicsync") &&
    typeof data.tag === "string" &&
    typeof data.lastChance === "boolean"
  );
}

export function isCallRequest(data: unknown): data is CallRequest {
  return (
    isRecord(data) &&
    data.syncward === PROTOCOL &&
    data.cmd === "call" &&
    typeof data.scope === "string" &&
    (data.op === "register" || data.op === "getTags" || data.op === "unregister" || data.op === "resolved") &&
    (data.kind === "one-shot" || data.kind === "periodic")
  );
}

export function isFireOutcome(data: unknown): data is FireOutcome {
  return (
    isRecord(data) &&
    (data.outcome === "success" || data.outcome === "failure") &&
    typeof data.durationMs === "number" &&
    (data.retryAfterMs === undefined || (typeof data.retryAfterMs === "number" && data.retryAfterMs > 0 && data.retryAfterMs <= MAX_RETRY_AFTER_MS))
  );
}

export function isWindowsAnswer(data: unknown): data is WindowsAnswer {
  return isRecord(data) && typeof data.topLevel === "boolean";
}

export function isCallAnswer(data: unknown): data is CallAnswer {
  return isRecord(data) && (data.native === true || data.ok === true || (data.ok === false && typeof data.name === "string"));
}

/** An exception as it crosses a port (WebKit does not clone DOMExceptions everywhere). */
export function errorAnswer(error: unknown): CallAnswer {
  if (error instanceof DOMException || error instanceof Error) return { ok: false, name: error.name, message: error.message };
  return { ok: false, name: "UnknownError", message: String(error) };
}

/** The exception an answer carries, rebuilt on this side. */
export function answerError(answer: { name: string; message: string }): Error {
  if (answer.name === "TypeError") return new TypeError(answer.message);
  if (answer.name === "RangeError") return new RangeError(answer.message);
  return new DOMException(answer.message, answer.name);
}

/** Send `message` with a fresh port and wait for its one answer (or the timeout: undefined). */
export function request(
  target: { postMessage(message: unknown, transfer: Transferable[]): void },
  message: unknown,
  timeoutMs: number,
  signal?: EventSignal,
): Promise<unknown> {
  const channel = new MessageChannel();
  return new Promise<unknown>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (value: unknown) => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      channel.port1.close();
      resolve(value);
    };
    const onAbort = () => done(undefined);
    channel.port1.onmessage = (event) => done(event.data);
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => done(undefined), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) return done(undefined);
    target.postMessage(message, [channel.port2]);
  });
}
