// The outbox demo's server: the app (this directory) at /, syncward's dist/ at /syncward/,
// and the demo backend: GET /health (204 while "up") and POST /outbox (stores the messages).
// It listens on localhost only, a secure context for service workers without TLS.
//
//   npm run build && node examples/browser/server.mjs [port]    then open http://localhost:8080/
//
// The browser tests start it on a random port with their own page configuration and routes.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".json": "application/json", ".map": "application/json" };

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** A file under `root`, or undefined for a path that leaves it or does not exist. */
async function fileUnder(root, path) {
  const file = normalize(join(root, decodeURIComponent(path)));
  if (!file.startsWith(root)) return undefined;
  return readFile(file).catch(() => undefined);
}

/**
 * Start the demo server. Options: `port` (0 = any free one), `config` (served as
 * /syncward-config.js instead of the demo's file), `serviceWorkerSuffix` (appended to
 * /sw.js), `routes(request, response, body)` (return true when handled).
 */
export async function startDemoServer(options = {}) {
  const state = {
    /** Status of GET /health: 204 while the backend is "up". */
    health: 204,
    /** Status of POST /outbox; anything but 2xx makes the sync fail and retry. */
    outboxStatus: 200,
    /** Every accepted POST /outbox body (an array of messages each). */
    outbox: [],
    config: options.config,
    serviceWorkerSuffix: options.serviceWorkerSuffix ?? "",
  };
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const body = request.method === "POST" ? await readBody(request) : "";
    const send = (status, type, content) => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(content);
    };
    if (options.routes && (await options.routes(request, response, body, url))) return;
    if (url.pathname === "/health") return send(state.health, "text/plain", "");
    if (url.pathname === "/outbox" && request.method === "POST") {
      let messages;
      try {
        messages = JSON.parse(body);
      } catch {
        return send(400, "text/plain", "not JSON\n");
      }
      if (state.outboxStatus >= 200 && state.outboxStatus < 300) state.outbox.push(messages);
      return send(state.outboxStatus, "text/plain", "");
    }
    if (url.pathname === "/syncward-config.js" && state.config !== undefined) {
      return send(200, TYPES[".js"], `self.syncwardConfig = ${JSON.stringify(state.config)};\n`);
    }
    const fromDist = url.pathname.startsWith("/syncward/");
    const path = fromDist ? url.pathname.slice("/syncward/".length) : url.pathname === "/" ? "index.html" : url.pathname.slice(1);
    const content = await fileUnder(fromDist ? dist : here, path);
    if (!content) return send(404, "text/plain", "not found\n");
    const type = TYPES[extname(path)] ?? "application/octet-stream";
    if (path === "sw.js" && !fromDist) return send(200, type, content.toString("utf8") + state.serviceWorkerSuffix);
    return send(200, type, content);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = server.address().port;
  // "localhost" may resolve to ::1 first (WebKit does): answer there too when IPv6 is up.
  const server6 = createServer((request, response) => server.emit("request", request, response));
  await new Promise((resolve) => {
    server6.once("error", () => resolve());
    server6.listen(port, "::1", () => resolve());
  });
  return {
    url: `http://localhost:${port}/`,
    port,
    state,
    /** The underlying servers, e.g. to accept WebSocket upgrades. */
    servers: [server, server6].filter((s) => s.listening),
    close: () =>
      Promise.all(
        [server, server6]
          .filter((s) => s.listening)
          .map((s) => {
            s.closeAllConnections();
            return new Promise((resolve) => s.close(() => resolve()));
          }),
      ).then(() => undefined),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const demo = await startDemoServer({
    port: Number(process.argv[2] ?? 8080),
    routes: async (request, response, body, url) => {
      if (url.pathname === "/outbox" && request.method === "POST" && demo.state.outboxStatus === 200) console.log(`backend: received ${body}`);
      return false;
    },
  });
  console.log(`outbox demo: ${demo.url}  (POST /outbox is the backend; set it down with: kill -USR1 ${process.pid}, up again with USR2)`);
  process.on("SIGUSR1", () => ((demo.state.health = 503), (demo.state.outboxStatus = 503), console.log("backend: down")));
  process.on("SIGUSR2", () => ((demo.state.health = 204), (demo.state.outboxStatus = 200), console.log("backend: up")));
}
