// The page bridge: a WebSocket on a loopback address through which the leader tab of an
// allowed origin hands its registrations to the device's agent and runs the agent's decisions
// in its service worker (bridge-connection.ts; the wire is agent/bridge-protocol.ts). A page
// is let in only with the agent's token and an Origin in the allow-list: a browser sets Origin
// itself, so web pages of other origins are kept out by it; a local process can forge Origin
// but does not know the token (0600, bridge-token.ts). A refused connection is one log line.
//
// With `serve`, the same server is the kiosk app's web server: the directory at `/`,
// syncward's browser scripts at `/syncward/`, and `/syncward/bridge.json` ({url, token}) for
// the page's config. On http://localhost the app is a secure context, and Chromium's Local
// Network Access does not ask, as the page and the bridge are both on loopback. Only Host
// names of loopback are answered, so a DNS-rebound name of another site gets nothing.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import { BRIDGE_PATH, BRIDGE_PROTOCOL, MAX_FRAME_BYTES, TOKEN_PREFIX } from "../bridge-protocol.js";
import { BridgeConnection, type BridgeHost } from "./bridge-connection.js";
import type { HttpAddress } from "./http-endpoint.js";
import { sameSecret } from "./secret-file.js";

export interface PageBridgeOptions {
  listen: HttpAddress;
  /** The allowed page origins; with `serve`, the app's own loopback origins are added. */
  origins: readonly string[];
  token: string;
  /** The kiosk app's directory, served at `/`. */
  serve: string | undefined;
  host: BridgeHost;
  /** One line per refused connection, malformed message or failed request. */
  log: (line: string) => void;
  /** A page connected or went away. */
  note: (what: string, fields: Record<string, unknown>) => void;
}

export interface PageBridge {
  /** ws://host:port/syncward/bridge */
  readonly url: string;
  /** The app's address when the agent serves it (http://localhost:PORT/). */
  readonly appUrl: string | undefined;
  /** The origins let in. */
  readonly origins: readonly string[];
  close(): Promise<void>;
}

/** syncward's browser scripts (dist/ at the package's root; this file is build/dist/agent/node/). */
const DIST = fileURLToPath(new URL("../../../../dist/", import.meta.url));
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".webmanifest": "application/manifest+json",
};
/** How often an open connection is pinged; a page that missed one ping's pong is gone. */
const HEARTBEAT_MS = 15_000;

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

function loopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOSTS.includes(host.replace(/:\d+$/, "").toLowerCase());
}

/** A file under `root`, or undefined for a path that leaves it or is not a readable file. */
async function fileUnder(root: string, path: string): Promise<Buffer | undefined> {
  let relative: string;
  try {
    relative = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const file = normalize(join(root, relative));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  return readFile(file).catch(() => undefined);
}

/** Listen on `address`; resolves with the port. */
async function listen(server: Server, address: HttpAddress, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve ${what} on ${address.host}:${address.port}: ${error.code ?? error.message}`)),
    );
    server.listen(address.port, address.host, resolve);
  });
  return (server.address() as { port: number }).port;
}

export async function servePageBridge(options: PageBridgeOptions): Promise<PageBridge> {
  const { token, host, log } = options;
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(BRIDGE_PROTOCOL) ? BRIDGE_PROTOCOL : false),
  });
  const allowed = new Set(options.origins);

  const refuse = (socket: Duplex, status: string, origin: string | undefined, why: string) => {
    log(`bridge: refused a connection from ${origin ?? "no origin"}: ${why}`);
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = request.headers.origin;
    if (new URL(request.url ?? "/", "http://agent").pathname !== BRIDGE_PATH) return refuse(socket, "404 Not Found", origin, `no WebSocket at ${request.url}`);
    if (origin === undefined || !allowed.has(origin)) return refuse(socket, "403 Forbidden", origin, "its origin is not in browser.origins");
    const offered = (request.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    const presented = offered.find((p) => p.startsWith(TOKEN_PREFIX))?.slice(TOKEN_PREFIX.length);
    if (presented === undefined || !sameSecret(token, presented)) return refuse(socket, "401 Unauthorized", origin, "wrong or missing token");
    if (!offered.includes(BRIDGE_PROTOCOL)) return refuse(socket, "400 Bad Request", origin, `it does not speak ${BRIDGE_PROTOCOL}`);
    sockets.handleUpgrade(request, socket, head, (ws) => accept(ws, origin));
  };

  const accept = (ws: WebSocket, origin: string) => {
    const connection = new BridgeConnection(origin, host, { send: (text) => ws.send(text) });
    options.note("page connected", { origin });
    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, HEARTBEAT_MS);
    ws.on("pong", () => (alive = true));
    ws.on("message", (data, binary) => {
      if (binary) return log(`bridge: ${origin} sent a binary frame; ignored`);
      connection.receive(data.toString());
    });
    // Past maxPayload ws closes the socket with 1009; other protocol errors likewise.
    ws.on("error", (error) => log(`bridge: the connection of ${origin} failed: ${error.message}`));
    ws.on("close", () => {
      clearInterval(heartbeat);
      connection.close();
      options.note("page disconnected", { origin });
    });
  };

  const serveApp = async (request: IncomingMessage, response: ServerResponse, root: string) => {
    const send = (status: number, type: string, body: string | Buffer) =>
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(body);
    if (!loopbackHost(request.headers.host)) return send(421, "text/plain", "this server answers only to localhost\n");
    if (request.method !== "GET" && request.method !== "HEAD") return void response.writeHead(405, { allow: "GET, HEAD" }).end();
    const path = new URL(request.url ?? "/", "http://agent").pathname;
    // Same-origin fetch() reads it; another origin's page cannot (no CORS), nor run it as a script.
    if (path === "/syncward/bridge.json") return send(200, TYPES[".json"]!, JSON.stringify({ url: `ws://${request.headers.host}${BRIDGE_PATH}`, token }));
    const fromDist = path.startsWith("/syncward/");
    const relative = fromDist ? path.slice("/syncward/".length) : path.endsWith("/") ? `${path.slice(1)}index.html` : path.slice(1);
    const content = await fileUnder(fromDist ? DIST : root, relative);
    if (!content) return send(404, "text/plain", "not found\n");
    send(200, TYPES[extname(relative)] ?? "application/octet-stream", content);
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    if (!options.serve) return void response.writeHead(404, { "content-type": "text/plain" }).end(`the page bridge is at ${BRIDGE_PATH}\n`);
    serveApp(request, response, options.serve).catch((error: Error) => {
      log(`bridge: serving ${request.url}: ${error.message}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  };

  const server = createServer(handle).on("upgrade", upgrade);
  const servers = [server];
  const port = await listen(server, options.listen, "the page bridge");
  // "localhost" may resolve to [::1] first (WebKit does): the app answers there too when IPv6 is up.
  if (options.serve && options.listen.host.startsWith("127.")) {
    const server6 = createServer(handle).on("upgrade", upgrade);
    await listen(server6, { host: "::1", port }, "the app on [::1]").then(
      () => servers.push(server6),
      () => {},
    );
  }
  if (options.serve) for (const name of LOOPBACK_HOSTS) allowed.add(`http://${name}:${port}`);
  const hostName = options.listen.host.includes(":") ? `[${options.listen.host}]` : options.listen.host;
  return {
    url: `ws://${hostName}:${port}${BRIDGE_PATH}`,
    appUrl: options.serve ? `http://localhost:${port}/` : undefined,
    origins: [...allowed],
    close: async () => {
      for (const ws of sockets.clients) ws.terminate();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
