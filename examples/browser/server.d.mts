// Types of server.mjs for the TypeScript tests that start it.
import type { IncomingMessage, Server, ServerResponse } from "node:http";

export interface DemoServerOptions {
  port?: number;
  config?: unknown;
  serviceWorkerSuffix?: string;
  routes?: (request: IncomingMessage, response: ServerResponse, body: string, url: URL) => boolean | Promise<boolean>;
}

export interface DemoServerState {
  health: number;
  outboxStatus: number;
  outbox: { text: string; queuedAt: number }[][];
  config: unknown;
  serviceWorkerSuffix: string;
}

export interface DemoServer {
  url: string;
  port: number;
  state: DemoServerState;
  servers: Server[];
  close(): Promise<void>;
}

export function startDemoServer(options?: DemoServerOptions): Promise<DemoServer>;
