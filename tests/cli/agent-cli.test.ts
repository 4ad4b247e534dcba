// `syncward` as a user runs it: a real process, real files, the real control socket.
import t from "tap";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../build/dist/agent/node/cli.js", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });

t.test("--help", async (t) => {
  const r = run("--help");
  t.equal(r.status, 0);
  t.match(r.stdout, /syncward agent \[options\]/);
  t.match(r.stdout, /syncward net offline\|online\|auto/);
  t.equal(run("agent", "--help").status, 0);
  t.equal(run().status, 2, "no command is a usage error");
});

t.test("bad flags and bad config: one line, exit 2", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-cli-"));
  const config = async (body: string) => {
    const path = join(dir, `c${Math.random()}.json`);
    await writeFile(path, body);
    return path;
  };
  const cases: [string, string[], RegExp][] = [
    ["unknown command", ["fly"], /unknown command "fly"/],
    ["unknown flag", ["agent", "--wat"], /Unknown option '--wat'/],
    ["--sw without --scope", ["agent", "--sw", "x.js"], /--sw and --scope go together/],
    ["no service worker", ["agent", "--store", join(dir, "s")], /no service worker/],
    ["bad seed", ["agent", "--seed", "1e3", "--sw", "x.js", "--scope", "http://a/"], /--seed must be/],
    ["bad scope URL", ["agent", "--sw", "x.js", "--scope", "not a url"], /is not a valid URL/],
    ["missing config", ["agent", "--config", join(dir, "absent.json")], /cannot read config .*ENOENT/],
    ["config not JSON", ["agent", "--config", await config("{nope")], /not valid JSON/],
    ["unknown config field", ["agent", "--config", await config('{"presett":"kiosk"}')], /unknown config field "presett"/],
    ["bad preset", ["agent", "--config", await config('{"preset":"turbo"}')], /preset must be one of chromium, kiosk/],
    ["unknown policy field", ["agent", "--config", await config('{"policy":{"maxAttempt":3}}')], /unknown policy field "maxAttempt"/],
    ["bad policy value", ["agent", "--config", await config('{"policy":{"maxAttempts":0},"serviceWorkers":[{"script":"x.js","scope":"http://a/"}]}')], /policy refused: .*BAD_POLICY/],
    ["bad probe", ["agent", "--config", await config('{"probe":{"url":"ftp://x/"}}')], /probe.url must be an http\(s\) URL/],
    ["bad log format", ["agent", "--log", "xml", "--sw", "x.js", "--scope", "http://a/"], /log must be "text" or "json"/],
    ["net without action", ["net"], /net needs one of/],
  ];
  for (const [name, args, reason] of cases) {
    const r = run(...args);
    t.equal(r.status, 2, `${name}: exit 2`);
    t.match(r.stderr, reason, name);
    t.equal(r.stderr.trim().split("\n").length, 1, `${name}: one line`);
  }
  const r = run("net", "status", "--control", join(dir, "nobody.sock"));
  t.equal(r.status, 1, "no agent running: exit 1");
  t.match(r.stderr, /no agent is running/);
});

interface Running {
  child: ChildProcess;
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [cli, "agent", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffer = "";
  const take = (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pattern.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  return {
    child, lines,
    waitFor(pattern, timeoutMs = 15_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got:\n${lines.join("\n")}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      });
    },
  };
}

t.test("a running agent: sync through the probe, net offline/online/status, SIGTERM flushes and exits 0", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-agent-"));
  let received = 0;
  let healthy = true;
  const server: Server = createServer((req, res) => {
    if (req.url === "/health") return res.writeHead(healthy ? 204 : 200).end("portal");
    req.resume();
    req.on("end", () => { received++; res.writeHead(200).end(); });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const sw = join(dir, "sw.js");
  await writeFile(sw, `
    self.addEventListener("sync", (event) => {
      if (event.tag === "sync-messages") event.waitUntil(fetch("http://127.0.0.1:${port}/outbox", { method: "POST", body: "m" }).then((r) => { if (!r.ok) throw new Error(r.status); }));
    });
    self.addEventListener("message", () => {});
    self.queue = (tag) => self.registration.sync.register(tag);
    self.addEventListener("activate", () => { setTimeout(() => self.registration.sync.register("sync-messages"), 50); });
  `);
  const control = join(dir, "control.sock");
  const store = join(dir, "store");
  const agent = start(["--sw", sw, "--scope", `http://127.0.0.1:${port}/`, "--store", store, "--control", control,
    "--probe", `http://127.0.0.1:${port}/health`, "--log", "json"]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/"eventName":"sync event completed"/);
  t.equal(received, 1, "the worker's sync reached the backend");

  const net = (...args: string[]) => run("net", ...args, "--control", control);
  const offline = net("offline");
  t.equal(offline.status, 0, `net offline: ${offline.stderr}`);
  t.match(JSON.parse(offline.stdout), { online: false, source: "manual" });
  const status = JSON.parse(net("status").stdout);
  t.match(status, { online: false, manual: "offline", registrations: [] });
  const online = net("online");
  t.equal(online.status, 0, `net online: ${online.stderr}`);
  t.match(JSON.parse(net("auto").stdout), { manual: "auto" });

  // A captive portal: the probe's URL answers 200 "portal" instead of 204.
  healthy = false;
  const auto = net("auto");
  t.equal(auto.status, 0, `net auto: ${auto.stderr}`);
  await agent.waitFor(/"event":"network","online":false,"source":"probe"/);
  t.pass("a wrong probe answer counts as offline");

  agent.child.kill("SIGTERM");
  const code = await new Promise<number | null>((resolve) => agent.child.on("exit", (c) => resolve(c)));
  t.equal(code, 0, "SIGTERM exits 0");
  t.ok(agent.lines.some((l) => l.includes('"event":"stopping"')), "it said it was stopping");
});

t.test("registrations made before SIGTERM are there after a restart", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-restart-"));
  const sw = join(dir, "sw.js");
  await writeFile(sw, `self.addEventListener("activate", () => { self.registration.sync.register("kept-" + Date.now()); });`);
  // The probe's port refuses connections: the device stays offline and registrations wait.
  const args = ["--sw", sw, "--scope", "http://127.0.0.1:9/", "--store", join(dir, "state", "store"), "--control", join(dir, "c.sock"),
    "--probe", "http://127.0.0.1:9/health"];
  for (let round = 1; round <= 2; round++) {
    const agent = start(args);
    await agent.waitFor(/Registered sync/);
    const status = JSON.parse(run("net", "status", "--control", join(dir, "c.sock")).stdout) as { registrations: unknown[] };
    t.equal(status.registrations.length, round, `round ${round}: ${round} registration(s) held`);
    agent.child.kill("SIGTERM");
    t.equal(await new Promise((r) => agent.child.on("exit", r)), 0);
  }
});
