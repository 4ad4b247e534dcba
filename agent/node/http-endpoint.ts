// The agent's opt-in HTTP endpoint for a monitoring agent on the same device: `/healthz` and
// `/metrics` (Prometheus' text format). Loopback only: it answers without authentication, so
// an address another machine could reach is refused before anything starts.

import { createServer, type Server } from "node:http";
import { isIP } from "node:net";

export interface HttpAddress {
  host: string;
  port: number;
}

/**
 * `127.0.0.1:9464` or `[::1]:9464` (port 0: any free port) → its parts; anything else,
 * including an address that is not loopback, is an error naming what to give instead.
 */
export function parseHttpAddress(value: string, field: string, why = "the endpoint has no authentication"): HttpAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`${field} must be a loopback address and port such as 127.0.0.1:9464, got "${value}"`);
  const host = (match[1] ?? match[2])!;
  if (!isLoopback(host)) throw new Error(`${field} must be on loopback (127.0.0.1 or [::1]): ${why}; got "${value}"`);
  return { host, port };
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith("127.");
  return isIP(host) === 6 && (host === "::1" || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(host));
}

export interface HttpEndpoint {
  /** http://host:port */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serve `/healthz` (200 "ok" while the agent runs) and `/metrics` (`metrics()`, with its
 * content type) at `address`; any other path is 404, any method but GET and HEAD 405.
 */
export async function serveHttp(address: HttpAddress, metrics: () => Promise<{ body: string; contentType: string }>): Promise<HttpEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://agent").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") return void response.writeHead(405, { allow: "GET, HEAD" }).end();
    if (path === "/healthz") return void response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    if (path !== "/metrics") return void response.writeHead(404, { "content-type": "text/plain" }).end("not found: /healthz and /metrics are served\n");
    metrics().then(
      ({ body, contentType }) => response.writeHead(200, { "content-type": contentType }).end(body),
      (error: Error) => response.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve HTTP on ${address.host}:${address.port}: ${error.code ?? error.message}`)),
    );
    server.listen(address.port, address.host, resolve);
  });
  const { port } = server.address() as { port: number };
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
