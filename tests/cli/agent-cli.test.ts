// `syncward` as a user runs it: a real process, real files, the real control socket.
import t from "tap";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, start } from "./cli-process.js";

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
    ["bad preset", ["agent", "--config", await config('{"preset":"turbo"}')], /preset must be one of "chromium", "kiosk", got "turbo"/],
    ["unknown policy field", ["agent", "--config", await config('{"policy":{"maxAttempt":3}}')], /unknown policy field "maxAttempt"/],
    [
      "bad policy value",
      ["agent", "--config", await config('{"policy":{"maxAttempts":0},"serviceWorkers":[{"script":"x.js","scope":"http://a/"}]}')],
      /policy refused: .*BAD_POLICY/,
    ],
    ["bad probe", ["agent", "--config", await config('{"probe":{"url":"ftp://x/"}}')], /probe.url must be an http\(s\) URL/],
    ["bad log format", ["agent", "--log", "xml", "--sw", "x.js", "--scope", "http://a/"], /log must be one of "text", "json", got "xml"/],
    ["net without action", ["net"], /net needs one of/],
    [
      "bad broker URL",
      ["agent", "--mqtt", "http://broker/", "--sw", "x.js", "--scope", "http://a/"],
      /mqtt.url must be an mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/ URL/,
    ],
    ["--mqtt with --no-mqtt", ["agent", "--mqtt", "mqtt://b/", "--no-mqtt"], /exclude each other/],
    ["bad broker port", ["agent", "--broker-port", "eighteen"], /--broker-port must be a non-negative integer/],
    ["broker port out of range", ["agent", "--broker-port", "70000", "--sw", "x.js", "--scope", "http://a/"], /mqtt.brokerPort must be a whole number/],
    ["broker port with a broker URL", ["agent", "--broker-port", "1884", "--mqtt", "mqtt://b/"], /brokerPort is the embedded broker's port/],
    ["wildcard status topic", ["agent", "--device-status", "devices/+/net"], /without the wildcards/],
    ["unknown mqtt field", ["agent", "--config", await config('{"mqtt":{"host":"b"}}')], /unknown mqtt field "host"/],
    [
      "require navigatorOnLine",
      ["agent", "--require", "broker,navigatorOnLine"],
      /connectivity.require\[1\] must be probe, broker, deviceStatus or backendStatus \(navigatorOnLine is evidence of offline only, and only in a page\), got "navigatorOnLine"/,
    ],
    [
      "require an unknown signal",
      ["agent", "--require", "wifi"],
      /connectivity.require\[0\] must be probe, broker, deviceStatus or backendStatus .*, got "wifi"/,
    ],
    ["require an unconfigured signal", ["agent", "--require", "deviceStatus"], /names deviceStatus, which is not configured/],
    ["bad settle time", ["agent", "--settle", "1.5"], /--settle must be a non-negative integer/],
    [
      "same words",
      ["agent", "--config", await config('{"mqtt":{"deviceStatus":{"topic":"d","onlineWord":"ON","offlineWord":"on"}}}')],
      /onlineWord and offlineWord must differ/,
    ],
    ["bad backoff", ["agent", "--config", await config('{"mqtt":{"backoff":{"jitter":2}}}')], /mqtt.backoff.jitter must be/],
    [
      "browser origin with a path",
      ["agent", "--browser-origin", "http://localhost:8080/app/"],
      /browser.origins\[0\] must be an origin such as http:\/\/localhost:8080, with no path/,
    ],
    [
      "browser bridge off loopback",
      ["agent", "--browser-origin", "http://localhost:8080", "--browser-listen", "0.0.0.0:8765"],
      /browser.listen must be on loopback \(127.0.0.1 or \[::1\]\): only this device's own browser may reach the bridge/,
    ],
    ["app served without a bridge", ["agent", "--browser-origin", "http://localhost:8080", "--browser-serve", "app"], /browser.serve needs browser.listen/],
    ["browser without origins", ["agent", "--config", await config('{"browser":{"listen":"127.0.0.1:8765"}}')], /browser needs origins, or serve/],
    [
      "bad worker limit",
      ["agent", "--config", await config('{"workerLimits":{"installMs":0}}')],
      /workerLimits.installMs must be a positive number of milliseconds, at most 2147483647 \(24.8 days\), got 0/,
    ],
    [
      "worker limit past a timer's range",
      ["agent", "--config", await config('{"workerLimits":{"startMs":3e9}}')],
      /workerLimits.startMs must be a positive number of milliseconds, at most 2147483647 \(24.8 days\), got 3000000000/,
    ],
    [
      "unknown worker limit",
      ["agent", "--config", await config('{"workerLimits":{"eventMs":1}}')],
      /unknown workerLimits field "eventMs" \(known: startMs, installMs, activateMs, unresponsiveMs\)/,
    ],
    [
      "bad scope probe",
      ["agent", "--config", await config('{"serviceWorkers":[{"script":"x.js","scope":"http://a/","probe":{"uri":"http://a/"}}]}')],
      /unknown serviceWorkers\[0\].probe field "uri"/,
    ],
    ["probe body with 204", ["agent", "--config", await config('{"probe":{"url":"http://a/","expectedStatus":204,"expectedBody":"OK"}}')], /has no body/],
    [
      "missing CA file",
      ["agent", "--mqtt", "mqtts://b/", "--mqtt-ca", join(dir, "absent-ca.pem"), "--sw", "x.js", "--scope", "http://a/"],
      /cannot read mqtt.ca .*ENOENT/,
    ],
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

t.test("a running agent: sync through the probe, net offline/online/status, SIGTERM flushes and exits 0", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-agent-"));
  let received = 0;
  let healthy = true;
  const server: Server = createServer((req, res) => {
    if (req.url === "/health") return res.writeHead(healthy ? 204 : 200).end("portal");
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const sw = join(dir, "sw.js");
  await writeFile(
    sw,
    `
    self.addEventListener("sync", (event) => {
      if (event.tag === "sync-messages") event.waitUntil(fetch("http://127.0.0.1:${port}/outbox", { method: "POST", body: "m" }).then((r) => { if (!r.ok) throw new Error(r.status); }));
    });
    self.addEventListener("message", () => {});
    self.queue = (tag) => self.registration.sync.register(tag);
    self.addEventListener("activate", () => { setTimeout(() => self.registration.sync.register("sync-messages"), 50); });
  `,
  );
  const control = join(dir, "control.sock");
  const store = join(dir, "store");
  const agent = start([
    "--sw",
    sw,
    "--scope",
    `http://127.0.0.1:${port}/`,
    "--store",
    store,
    "--control",
    control,
    "--probe",
    `http://127.0.0.1:${port}/health`,
    "--log",
    "json",
    "--no-mqtt",
    "--settle",
    "0",
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/"eventName":"sync event completed"/);
  t.equal(received, 1, "the worker's sync reached the backend");

  const net = (...args: string[]) => run("net", ...args, "--control", control);
  const offline = net("offline");
  t.equal(offline.status, 0, `net offline: ${offline.stderr}`);
  t.match(JSON.parse(offline.stdout), { online: false, reason: "manual offline" });
  const status = JSON.parse(net("status").stdout);
  t.match(status, { online: false, manual: "offline", required: ["probe"], signals: { probe: "good" }, registrations: [] });
  const online = net("online");
  t.equal(online.status, 0, `net online: ${online.stderr}`);
  t.match(JSON.parse(net("auto").stdout), { manual: "auto" });

  // A captive portal: the probe's URL answers 200 "portal" instead of 204.
  healthy = false;
  const auto = net("auto");
  t.equal(auto.status, 0, `net auto: ${auto.stderr}`);
  await agent.waitFor(/"event":"network","online":false,.*"reason":"probe bad"/);
  t.pass("a wrong probe answer counts as offline");

  agent.child.kill("SIGTERM");
  const code = await new Promise<number | null>((resolve) => agent.child.on("exit", (c) => resolve(c)));
  t.equal(code, 0, "SIGTERM exits 0");
  t.ok(
    agent.lines.some((l) => l.includes('"event":"stopping"')),
    "it said it was stopping",
  );
});

t.test("registrations made before SIGTERM are there after a restart", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-restart-"));
  const sw = join(dir, "sw.js");
  await writeFile(sw, `self.addEventListener("activate", () => { self.registration.sync.register("kept-" + Date.now()); });`);
  // The probe's port refuses connections: the device stays offline and registrations wait.
  const args = [
    "--sw",
    sw,
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "state", "store"),
    "--control",
    join(dir, "c.sock"),
    "--probe",
    "http://127.0.0.1:9/health",
    "--no-mqtt",
  ];
  for (let round = 1; round <= 2; round++) {
    const agent = start(args);
    await agent.waitFor(/Registered sync/);
    const status = JSON.parse(run("net", "status", "--control", join(dir, "c.sock")).stdout) as { registrations: unknown[] };
    t.equal(status.registrations.length, round, `round ${round}: ${round} registration(s) held`);
    agent.child.kill("SIGTERM");
    t.equal(await new Promise((r) => agent.child.on("exit", r)), 0);
  }
});
