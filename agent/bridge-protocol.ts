// The page bridge's wire: JSON text frames on a loopback WebSocket between the leader tab of an
// allowed origin (page.js) and the device's `syncward agent`, which then owns the origin's
// sync registrations. The page opens it with two subprotocols: BRIDGE_PROTOCOL, and the
// agent's token as `TOKEN_PREFIX + token` (a browser's WebSocket can set no other header).
//
//   page → agent   {t: "call", id, call: AgentCall}         → {t: "answer", id, ok: true, value} | {t: "answer", id, ok: false, name, message}
//   agent → page   {t: "fire", id, scope, type, tag, lastChance}   → {t: "outcome", id, outcome, reason?, retryAfterMs?}
//   agent → page   {t: "abort", id}      the event's time limit passed: its outcome no longer counts
//   page → agent   {t: "active", scope}  the scope's worker is active (again): its held events may fire
//
// Both sides check every frame they receive against these shapes; a frame that fails is
// reported in one line and dropped, never thrown.

import type { AgentCall, Kind } from "./agent-call.js";
import { MAX_RETRY_AFTER_MS } from "./retry-after.js";

export const BRIDGE_PROTOCOL = "syncward-bridge.1";
export const TOKEN_PREFIX = "syncward-token.";
/** The path of the bridge's WebSocket on the agent's HTTP server. */
export const BRIDGE_PATH = "/syncward/bridge";
/** The largest frame either side accepts: a tag is at most 10,240 bytes, a status of many registrations more. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export type Outcome = "success" | "failure" | "undelivered";

export type PageMessage =
  | { t: "call"; id: number; call: AgentCall }
  | { t: "outcome"; id: number; outcome: Outcome; reason?: string; retryAfterMs?: number }
  | { t: "active"; scope: string };

export type AgentMessage =
  | { t: "answer"; id: number; ok: true; value?: unknown }
  | { t: "answer"; id: number; ok: false; name: string; message: string }
  | { t: "fire"; id: number; scope: string; type: "sync" | "periodicsync"; tag: string; lastChance: boolean }
  | { t: "abort"; id: number };

type Fields = Record<string, unknown>;

const isRecord = (x: unknown): x is Fields => typeof x === "object" && x !== null && !Array.isArray(x);
const isId = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isKind = (x: unknown): x is Kind => x === "one-shot" || x === "periodic";
const isText = (x: unknown): x is string => typeof x === "string";

/** A frame's JSON object, or the reason it is none. */
function objectOf(text: string): Fields | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  return isRecord(value) ? value : "not a JSON object";
}

function callOf(c: unknown): AgentCall | string {
  if (!isRecord(c)) return "call is not an object";
  if (c.op === "status") return { op: "status" };
  if (!isText(c.scope)) return `call ${JSON.stringify(c.op)} has no scope`;
  const scope = c.scope;
  switch (c.op) {
    case "forget":
      return { op: "forget", scope };
    case "getTags":
      return isKind(c.kind) ? { op: "getTags", scope, kind: c.kind } : "getTags needs kind one-shot or periodic";
    case "register":
      if (!isKind(c.kind) || !isText(c.tag)) return "register needs kind and tag";
      if (!(typeof c.minInterval === "number" && c.minInterval >= 0 && Number.isFinite(c.minInterval))) return "register needs minInterval, a number ≥ 0";
      return { op: "register", scope, kind: c.kind, tag: c.tag, minInterval: c.minInterval };
    case "resolved":
      return isKind(c.kind) && isText(c.tag) ? { op: "resolved", scope, kind: c.kind, tag: c.tag } : "resolved needs kind and tag";
    case "unregister":
      return c.kind === "periodic" && isText(c.tag) ? { op: "unregister", scope, kind: "periodic", tag: c.tag } : "unregister needs kind periodic and tag";
    default:
      return `unknown call ${JSON.stringify(c.op)}`;
  }
}

/** A page's frame as the agent reads it, or why it is malformed. */
export function parsePageMessage(text: string): PageMessage | string {
  const m = objectOf(text);
  if (typeof m === "string") return m;
  if (m.t === "call") {
    if (!isId(m.id)) return "call without a numeric id";
    const call = callOf(m.call);
    return typeof call === "string" ? call : { t: "call", id: m.id, call };
  }
  if (m.t === "outcome") {
    if (!isId(m.id)) return "outcome without a numeric id";
    if (m.outcome !== "success" && m.outcome !== "failure" && m.outcome !== "undelivered") return `unknown outcome ${JSON.stringify(m.outcome)}`;
    if (m.reason !== undefined && !isText(m.reason)) return "outcome reason is not a string";
    const retry = m.retryAfterMs;
    if (retry !== undefined && !(typeof retry === "number" && retry > 0 && retry <= MAX_RETRY_AFTER_MS)) return "outcome retryAfterMs is out of range";
    return {
      t: "outcome",
      id: m.id,
      outcome: m.outcome,
      ...(m.reason === undefined ? {} : { reason: m.reason }),
      ...(retry === undefined ? {} : { retryAfterMs: retry }),
    };
  }
  if (m.t === "active") return isText(m.scope) ? { t: "active", scope: m.scope } : "active without a scope";
  return `unknown message type ${JSON.stringify(m.t)}`;
}

/** The agent's frame as the page reads it, or why it is malformed. */
export function parseAgentMessage(text: string): AgentMessage | string {
  const m = objectOf(text);
  if (typeof m === "string") return m;
  if (!isId(m.id)) return "message without a numeric id";
  if (m.t === "answer") {
    if (m.ok === true) return { t: "answer", id: m.id, ok: true, value: m.value };
    return m.ok === false && isText(m.name) && isText(m.message) ? { t: "answer", id: m.id, ok: false, name: m.name, message: m.message } : "bad answer";
  }
  if (m.t === "fire") {
    if (!isText(m.scope) || !isText(m.tag) || typeof m.lastChance !== "boolean" || (m.type !== "sync" && m.type !== "periodicsync")) return "bad fire";
    return { t: "fire", id: m.id, scope: m.scope, type: m.type, tag: m.tag, lastChance: m.lastChance };
  }
  if (m.t === "abort") return { t: "abort", id: m.id };
  return `unknown message type ${JSON.stringify(m.t)}`;
}
