// The two status payloads syncward reads from MQTT. Both come from other programs (firmware, a
// backend) and may be anything: every parse returns either a verdict or a one-line problem to
// log, never throws, and never lets a bad message change the last good state.
//
// Device status (firmware, retained): the words `online` / `offline` (configurable, any case),
// or JSON `{"online": true, "metered": false, "onBattery": false, "timestamp": 1767000000000}`
// (field names configurable; extra fields ignored). An empty payload is the retained message
// being cleared, for both payloads: the status is unknown again.
//
// Backend status (Sparkplug B 3.0 host STATE, retained and backed by the backend's Last Will):
// `{"online": true, "timestamp": 1767000000000}`, the timestamp in ms since the epoch. The
// backend's admission payload (admission.ts) shares the text and JSON steps.

/** Larger payloads are refused unread: status messages are tiny. */
export const MAX_STATUS_PAYLOAD_BYTES = 4096;

export interface DeviceStatusFormat {
  /** Default "online". */
  onlineWord?: string;
  /** Default "offline". */
  offlineWord?: string;
  /** JSON field names. Defaults: online, metered, onBattery, timestamp. */
  fields?: { online?: string; metered?: string; onBattery?: string; timestamp?: string };
}

export type DeviceStatus =
  /** `online: undefined`: the retained status was cleared (an empty payload). */
  { ok: true; online: boolean | undefined; metered?: boolean; onBattery?: boolean; timestamp?: number } | { ok: false; problem: string };

/** `online: undefined`: the retained status was cleared (an empty payload). */
export type BackendStatus = { ok: true; online: boolean; timestamp: number } | { ok: true; online: undefined } | { ok: false; problem: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The payload as text, or a problem (over the size limit, not UTF-8). */
export function payloadText(payload: Uint8Array | string): string | { problem: string } {
  if (typeof payload === "string") {
    return payload.length > MAX_STATUS_PAYLOAD_BYTES ? { problem: `payload of ${payload.length} characters is over ${MAX_STATUS_PAYLOAD_BYTES}` } : payload;
  }
  if (payload.byteLength > MAX_STATUS_PAYLOAD_BYTES) return { problem: `payload of ${payload.byteLength} bytes is over ${MAX_STATUS_PAYLOAD_BYTES}` };
  try {
    return decoder.decode(payload);
  } catch {
    return { problem: "payload is not UTF-8" };
  }
}

/** A short, printable excerpt of a bad payload for the log line. */
export function excerpt(payload: Uint8Array | string): string {
  const s =
    typeof payload === "string"
      ? payload.slice(0, 60)
      : Array.from(payload.subarray(0, 60), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  const length = typeof payload === "string" ? payload.length : payload.byteLength;
  return JSON.stringify(s) + (length > 60 ? "…" : "");
}

/** The JSON object in `body`, or a problem string. */
export function jsonObject(body: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return "neither a status word nor valid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return `JSON ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value} where an object was expected`;
  return value as Record<string, unknown>;
}

function isTimestamp(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

export function parseDeviceStatus(payload: Uint8Array | string, format: DeviceStatusFormat = {}): DeviceStatus {
  if (payload.length === 0) return { ok: true, online: undefined };
  const body = payloadText(payload);
  if (typeof body !== "string") return { ok: false, ...body };
  const trimmed = body.trim();
  const word = trimmed.toLowerCase();
  if (word === (format.onlineWord ?? "online").toLowerCase()) return { ok: true, online: true };
  if (word === (format.offlineWord ?? "offline").toLowerCase()) return { ok: true, online: false };
  const json = jsonObject(trimmed);
  if (typeof json === "string") return { ok: false, problem: json };
  const names = { online: "online", metered: "metered", onBattery: "onBattery", timestamp: "timestamp", ...format.fields };
  const online = json[names.online];
  if (typeof online !== "boolean") return { ok: false, problem: `"${names.online}" must be true or false` };
  const status: DeviceStatus = { ok: true, online };
  for (const key of ["metered", "onBattery"] as const) {
    const value = json[names[key]];
    if (value === undefined) continue;
    if (typeof value !== "boolean") return { ok: false, problem: `"${names[key]}" must be true or false` };
    status[key] = value;
  }
  const t = json[names.timestamp];
  if (t !== undefined) {
    if (!isTimestamp(t)) return { ok: false, problem: `"${names.timestamp}" must be a non-negative number of ms since the epoch` };
    status.timestamp = t;
  }
  return status;
}

export function parseBackendStatus(payload: Uint8Array | string): BackendStatus {
  if (payload.length === 0) return { ok: true, online: undefined };
  const body = payloadText(payload);
  if (typeof body !== "string") return { ok: false, ...body };
  const json = jsonObject(body.trim());
  if (typeof json === "string") return { ok: false, problem: json };
  if (typeof json.online !== "boolean") return { ok: false, problem: `"online" must be true or false` };
  if (!isTimestamp(json.timestamp)) return { ok: false, problem: `"timestamp" must be a non-negative number of ms since the epoch` };
  return { ok: true, online: json.online, timestamp: json.timestamp };
}
