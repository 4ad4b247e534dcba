// The local control channel of a running agent (`syncward net …`): a Unix socket in a
// directory only the agent's user can enter (0700), the socket itself 0600. One JSON request
// per connection, one JSON answer.

import { createServer, createConnection, type Server } from "node:net";
import { chmod, mkdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { tmpdir, userInfo } from "node:os";
import { quotedValue } from "../quoted-value.js";

export type ControlRequest =
  | { cmd: "net"; set: "online" | "offline" | "auto" }
  | { cmd: "status" }
  /** Fire a sync event for `tag` now, as DevTools' Sync button does; `scope` may be left out when there is one worker. */
  | { cmd: "fire"; tag: string; scope?: string };

/**
 * Where the socket lives by default: under systemd's RuntimeDirectory= ($RUNTIME_DIRECTORY,
 * its first entry) in a service, else per user, under XDG_RUNTIME_DIR when there is one.
 */
export function defaultControlPath(): string {
  const service = process.env.RUNTIME_DIRECTORY?.split(":")[0];
  if (service) return join(service, "control.sock");
  const base = process.env.XDG_RUNTIME_DIR || join(tmpdir(), `syncward-${userInfo().uid}`);
  return join(base, "syncward", "control.sock");
}

/**
 * Refuse to start a second agent where one already answers: serveControl would take the
 * running agent's socket from it, and two agents would share one store.
 */
export async function assertNoAgentAt(path: string): Promise<void> {
  const answers = await new Promise<boolean>((resolve) => {
    const socket = createConnection(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (answers) throw new Error(`an agent is already running with the control socket ${path}; stop it first, or give this one its own --control and --store`);
}

export async function serveControl(path: string, handle: (request: ControlRequest) => unknown): Promise<Server> {
  const answer = async (line: string) => {
    try {
      return { ok: true, result: await handle(parseRequest(line)) };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  };
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (info.uid !== userInfo().uid) throw new Error(`${dir} belongs to another user`);
  await chmod(dir, 0o700);
  await rm(path, { force: true });
  const server = createServer((socket) => {
    let input = "";
    let asked = false;
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      if (asked) return;
      input += chunk;
      if (input.length > 65536) socket.destroy();
      if (!input.includes("\n")) return;
      // One request per connection: what follows its line is ignored.
      asked = true;
      void answer(input.slice(0, input.indexOf("\n"))).then((result) => socket.end(JSON.stringify(result) + "\n"));
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}

/** The fields each command takes: anything else makes the request unknown, not half-read. */
const FIELDS: Record<string, readonly string[]> = { status: ["cmd"], net: ["cmd", "set"], fire: ["cmd", "tag", "scope"] };

function parseRequest(line: string): ControlRequest {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    throw new Error(`control request is not JSON: ${quotedValue(line)}`);
  }
  if (typeof request !== "object" || request === null || Array.isArray(request))
    throw new Error(`control request must be a JSON object, got ${quotedValue(request)}`);
  const r = request as Partial<{ cmd: unknown; set: unknown; tag: unknown; scope: unknown }>;
  const fields = typeof r.cmd === "string" && Object.hasOwn(FIELDS, r.cmd) ? FIELDS[r.cmd]! : undefined;
  if (fields && Object.keys(r).every((key) => fields.includes(key))) {
    if (r.cmd === "status") return { cmd: "status" };
    if (r.cmd === "fire" && typeof r.tag === "string" && (r.scope === undefined || typeof r.scope === "string")) {
      return { cmd: "fire", tag: r.tag, ...(r.scope !== undefined ? { scope: r.scope } : {}) };
    }
    if (r.cmd === "net" && (r.set === "online" || r.set === "offline" || r.set === "auto")) return { cmd: "net", set: r.set };
  }
  throw new Error(`unknown control request: ${quotedValue(request)}`);
}

/** Send one request to a running agent; rejects with a one-line reason. */
export function sendControl(path: string, request: ControlRequest, timeoutMs = 15_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let output = "";
    const timer = setTimeout(() => socket.destroy(new Error("no answer from the agent")), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify(request) + "\n"));
    socket.on("data", (chunk) => (output += chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === "ENOENT" || error.code === "ECONNREFUSED" ? `no agent is running at ${path}` : error.message));
    });
    socket.on("end", () => {
      clearTimeout(timer);
      try {
        const answer = JSON.parse(output) as { ok: boolean; result?: unknown; error?: string };
        if (answer.ok) resolve(answer.result);
        else reject(new Error(answer.error ?? "the agent refused the request"));
      } catch {
        reject(new Error("the agent sent an unreadable answer"));
      }
    });
  });
}
