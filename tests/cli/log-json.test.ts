// `syncward agent --log json`: every line it prints, on stdout and stderr, is one JSON object,
// the workers' console included, and Background Service events have the shape of Chrome
// DevTools' BackgroundService.BackgroundServiceEvent.
import t from "tap";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start } from "./cli-process.js";

t.test("--log json: JSON lines only, events in DevTools' shape", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-logjson-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const server: Server = createServer((req, res) => res.writeHead(req.url === "/health" ? 204 : 200).end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const scope = `http://127.0.0.1:${port}/app/`;
  const sw = join(dir, "sw.js");
  await writeFile(
    sw,
    `
    let attempts = 0;
    self.addEventListener("sync", (event) => {
      console.log("sync", event.tag, { attempt: ++attempts });
      console.error("a line on stderr");
      event.waitUntil(attempts === 1 ? Promise.reject(new Error("backend down")) : Promise.resolve());
    });
    self.addEventListener("activate", () => { setTimeout(() => self.registration.sync.register("outbox"), 50); });
  `,
  );
  // A short first back-off, so the failed attempt's retry comes at once.
  const config = join(dir, "agent.json");
  await writeFile(config, JSON.stringify({ policy: { initialRetryDelay: 200 } }));
  const before = Date.now() / 1000;
  const agent = start([
    "--sw",
    sw,
    "--scope",
    scope,
    "--store",
    join(dir, "store"),
    "--control",
    join(dir, "c.sock"),
    "--probe",
    `http://127.0.0.1:${port}/health`,
    "--no-mqtt",
    "--settle",
    "0",
    "--log",
    "json",
    "--config",
    config,
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/"eventName":"sync event completed"/);
  agent.child.kill("SIGTERM");
  await new Promise((resolve) => agent.child.on("exit", resolve));

  const records = agent.lines
    .filter((l) => l !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        t.fail(`not JSON: ${line}`);
        return {};
      }
    });
  t.ok(records.length >= 8, `${records.length} lines`);
  for (const r of records) {
    t.ok(typeof r.timestamp === "number" && r.timestamp >= before - 1 && r.timestamp < Date.now() / 1000 + 1, `timestamp in seconds: ${r.timestamp}`);
  }
  const events = records.filter((r) => "eventName" in r);
  t.same(
    events.map((e) => e.eventName),
    ["Registered sync", "Dispatched sync event", "sync event failed", "Dispatched sync event", "sync event completed"],
  );
  t.match(events[2], {
    origin: `http://127.0.0.1:${port}`,
    serviceWorkerRegistrationId: scope,
    service: "backgroundSync",
    instanceId: "outbox",
    storageKey: `http://127.0.0.1:${port}/`,
    eventMetadata: [{ key: "Failure Reason", value: "waitUntil rejected" }],
  });
  t.ok(
    events.every(
      (e) =>
        Array.isArray(e.eventMetadata) &&
        (e.eventMetadata as { key?: unknown; value?: unknown }[]).every((m) => typeof m.key === "string" && typeof m.value === "string"),
    ),
    "metadata as a key/value list",
  );
  t.match(
    records.find((r) => r.event === "console" && r.level === "log"),
    { scope, message: "sync outbox { attempt: 1 }" },
  );
  t.match(
    records.find((r) => r.event === "console" && r.level === "error"),
    { scope, message: "a line on stderr" },
  );
  t.ok(
    records.some((r) => r.event === "syncward agent ready"),
    "the agent's own notes too",
  );
});
