// The DevTools dispatcher facing a browser that is not there or talks nonsense: one log line
// per outage and a retry, never a crash; the Agent's events wait undelivered, counted nothing.
// A periodic registration the agent cannot place is a log line too.
import t from "tap";
import { createServer } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { Agent } from "../../agent/agent.js";
import { BrowserScopes } from "../../agent/browser-scopes.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { DevToolsDispatcher } from "../../agent/node/devtools-dispatcher.js";
import { DevToolsConnection } from "../../agent/node/devtools-connection.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";
import { EventAbort } from "../../agent/event-signal.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A stand-in browser on loopback: /json/version names its socket, and each connection's
 * messages go to `onConnection`. Resolves to its HTTP endpoint; closed at the test's end.
 */
async function fakeBrowser(t: { teardown(fn: () => unknown): void }, onConnection: (socket: WebSocket) => void): Promise<string> {
  const http = createServer((request, response) => {
    if (request.url === "/json/version") response.end(JSON.stringify({ webSocketDebuggerUrl: `ws://127.0.0.1:${port}/devtools/browser/x` }));
    else response.writeHead(404).end();
  });
  const sockets = new WebSocketServer({ server: http });
  sockets.on("connection", onConnection);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as { port: number }).port;
  t.teardown(() => {
    for (const client of sockets.clients) client.terminate();
    sockets.close();
    http.close();
  });
  return `http://127.0.0.1:${port}`;
}

t.test("an endpoint that does not answer: one line, retries, and events wait undelivered", async (t) => {
  const lines: string[] = [];
  // A port nothing listens on: bound, then closed.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const dispatcher = new DevToolsDispatcher({ endpoint: `http://127.0.0.1:${port}`, origins: ["http://localhost:8080"], retryMs: 100 }, (l) => lines.push(l));
  t.teardown(() => dispatcher.close());
  const scopes = new BrowserScopes({ dispatch: () => Promise.reject(new Error("not a browser scope")) });
  const agent = await Agent.start({ scheduler: singleTenant(await createScheduler({ preset: "chromium" })), store: new MemoryStore(), dispatcher: scopes });
  t.teardown(() => agent.close());
  scopes.serve(agent);
  dispatcher.start((scope) => scopes.add(scope));
  await pause(700);
  t.equal(lines.length, 1, `one line for the outage, not one per attempt: ${lines.join(" | ")}`);
  t.match(lines[0], /^DevTools: cannot use http:\/\/127\.0\.0\.1:\d+ \(.+\); retrying every 100 ms$/);
  t.same(
    await dispatcher.dispatch({ type: "sync", scope: "http://localhost:8080/", tag: "x", lastChance: false, signal: new EventAbort().signal }),
    { outcome: "undelivered" },
    "an event meanwhile is undelivered: nothing counted",
  );
  t.equal(dispatcher.status().connected, false);
});

t.test("malformed DevTools messages are log lines; a browser that refuses the agent's commands is retried", async (t) => {
  let connections = 0;
  const endpoint = await fakeBrowser(t, (socket) => {
    connections++;
    socket.on("message", (data) => {
      const { id } = JSON.parse(String(data)) as { id: number };
      // Nonsense first, then an error for the command itself.
      socket.send("not json {");
      socket.send("42");
      socket.send(JSON.stringify({ id: 999_999, result: {} }));
      socket.send(JSON.stringify({ method: "ServiceWorker.workerRegistrationUpdated", params: { registrations: "no" } }));
      socket.send(JSON.stringify({ method: 7 }));
      socket.send(JSON.stringify({ id, error: { code: -32601, message: "'Target.createTarget' wasn't found" } }));
    });
  });

  const lines: string[] = [];
  const connection = await DevToolsConnection.open(endpoint, (l) => lines.push(l));
  connection.on("ServiceWorker.workerRegistrationUpdated", (params) => {
    if (!Array.isArray(params.registrations)) throw new Error("registrations is not a list");
  });
  await t.rejects(connection.send("Target.createTarget", { url: "about:blank" }), /Target\.createTarget: 'Target\.createTarget' wasn't found/);
  await connection.close();
  t.match(
    lines,
    [
      /^ignored a DevTools message that is not JSON: not json \{$/,
      /^ignored a malformed DevTools message: 42$/,
      /^ignored a DevTools answer to no command \(id 999999\)$/,
      /^DevTools event ServiceWorker.workerRegistrationUpdated could not be handled: registrations is not a list$/,
      /^ignored a malformed DevTools message: \{"method":7\}$/,
    ],
    "each one line, in order",
  );

  const dispatcherLines: string[] = [];
  const dispatcher = new DevToolsDispatcher({ endpoint, origins: ["http://localhost:8080"], retryMs: 100 }, (l) => dispatcherLines.push(l));
  t.teardown(() => dispatcher.close());
  const before = connections;
  dispatcher.start(() => {
    throw new Error("no scope is served here");
  });
  await pause(800);
  t.ok(connections - before >= 3, `the dispatcher retried (${connections - before} connections)`);
  t.equal(dispatcherLines.filter((l) => l.includes("retrying")).length, 1, "one line for the whole outage");
  t.equal(dispatcher.status().connected, false);
});

t.test("malformed or unplaceable periodic registrations from Chromium's BackgroundService record are log lines", async (t) => {
  const commands: { method: string; params: Record<string, unknown> }[] = [];
  let browser: WebSocket | undefined;
  // A browser that accepts every command (its one target "t", session "s") and reports what the test sends.
  const endpoint = await fakeBrowser(t, (socket) => {
    browser = socket;
    socket.on("message", (data) => {
      const { id, method, params } = JSON.parse(String(data)) as { id: number; method: string; params: Record<string, unknown> };
      commands.push({ method, params });
      socket.send(JSON.stringify({ id, result: { targetId: "t", sessionId: "s" } }));
    });
  });
  const origin = "http://localhost:8080";
  const lines: string[] = [];
  // A registration of a scope never served is given up after activateMs (its worker would be activated by then).
  const dispatcher = new DevToolsDispatcher({ endpoint, origins: [origin], activateMs: 100 }, (l) => lines.push(l));
  t.teardown(() => dispatcher.close());
  dispatcher.start(() => {
    throw new Error("no scope is served here");
  });
  await dispatcher.connected();
  t.match(
    commands.find((c) => c.method === "Browser.setPermission")?.params,
    { permission: { name: "periodic-background-sync" }, setting: "granted", origin },
    "the served origin is granted periodic sync, that permission alone",
  );
  const record = (backgroundServiceEvent: unknown) =>
    browser!.send(JSON.stringify({ method: "BackgroundService.backgroundServiceEventReceived", sessionId: "s", params: { backgroundServiceEvent } }));
  const registered = (registrationId: string, eventMetadata: unknown[]) => ({
    origin: `${origin}/`,
    serviceWorkerRegistrationId: registrationId,
    eventName: "Registered periodicsync",
    instanceId: "news",
    eventMetadata,
  });
  browser!.send(
    JSON.stringify({
      method: "ServiceWorker.workerRegistrationUpdated",
      params: { registrations: [{ registrationId: "1", scopeURL: `${origin}/`, isDeleted: false }] },
    }),
  );
  record("nonsense");
  record(registered("9", [{ key: "minInterval", value: "1000" }]));
  record(registered("1", [{ key: "minInterval", value: "soon" }]));
  record(registered("1", [{ key: "minInterval", value: "1000" }]));
  record({ ...registered("1", []), origin: "http://elsewhere/" });
  await pause(300);
  const problems = lines.filter((l) => !l.startsWith("DevTools: connected"));
  t.equal(problems.length, 4, problems.join(" | "));
  t.match(
    problems,
    [
      /^ignored a malformed BackgroundService event: "nonsense"$/,
      /^ignored periodic sync "news" of service worker registration 9, which the agent does not know$/,
      /^ignored periodic sync "news" of http:\/\/localhost:8080\/: Chromium reported no minInterval$/,
      /^could not hold periodic sync "news" of http:\/\/localhost:8080\/: http:\/\/localhost:8080\/ is not served here$/,
    ],
    "one line each, and nothing for another origin's",
  );
});
