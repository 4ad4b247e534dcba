// SIGHUP to a real `syncward agent`: the config file is read again and put in force without
// losing anything (its registrations, the running worker's own state, a manual override),
// connectivity is built again as the new file says, and a bad new config is one line on
// stderr while the old one stays in force.
import t from "tap";
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, start } from "./cli-process.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });

interface Status {
  online: boolean;
  reason: string;
  manual: string;
  required: string[];
  registrations: { scope: string; tag: string; state: string; attempts: number }[];
}

t.test("SIGHUP reloads the config; a bad one is refused and the old one stays", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-reload-"));
  // /good answers 204 (online), /portal 200 with a page (a captive portal: offline).
  const server = createServer((req, res) => void res.writeHead(req.url === "/good" ? 204 : 200).end(req.url === "/good" ? undefined : "portal"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // The worker keeps a count in its own global: a worker started again would count from 0.
  await writeFile(
    join(dir, "a.js"),
    `
    self.count = 0;
    self.addEventListener("sync", (event) => { self.count++; console.log("sync " + event.tag + " count=" + self.count); event.waitUntil(Promise.reject(new Error("backend down"))); });
    self.addEventListener("activate", () => { setTimeout(() => self.registration.sync.register("outbox"), 50); });
  `,
  );
  // Worker b registers at once: had the Agent kept the old connectivity's "online", it would fire.
  await writeFile(
    join(dir, "b.js"),
    `
    self.addEventListener("sync", (event) => console.log("sync " + event.tag));
    self.addEventListener("activate", () => { console.log("worker b active"); self.registration.sync.register("held"); });
  `,
  );
  const configFile = join(dir, "agent.json");
  const config = {
    serviceWorkers: [{ script: "a.js", scope: `${base}/a/` }],
    store: "state/registrations",
    control: "c.sock",
    mqtt: false,
    probe: { url: `${base}/good` },
    connectivity: { settleMs: 0 },
    log: "json",
  };
  const write = (body: unknown) => writeFile(configFile, typeof body === "string" ? body : JSON.stringify(body));
  await write(config);
  const agent = start(["--config", configFile]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/"eventName":"sync event failed"/);
  await agent.waitFor(/sync outbox count=1/);
  const control = join(dir, "c.sock");
  const status = () => JSON.parse(run("net", "status", "--control", control).stdout) as Status;
  t.match(status().registrations, [{ tag: "outbox", state: "waiting", attempts: 1 }], "one failed attempt, waiting out the back-off");

  // A good new config: another probe (a portal now) and a second worker.
  const reloaded = { ...config, probe: { url: `${base}/portal` }, serviceWorkers: [...config.serviceWorkers, { script: "b.js", scope: `${base}/b/` }] };
  await write(reloaded);
  agent.child.kill("SIGHUP");
  await agent.waitFor(/"event":"config reloaded"/);
  await agent.waitFor(/"eventName":"Registered sync","instanceId":"held"/);
  let now = status();
  t.match(
    now.registrations,
    [
      { tag: "outbox", state: "waiting", attempts: 1 },
      { tag: "held", state: "pending", attempts: 0 },
    ],
    "the registration and its attempts stay; the new worker's waits, offline until the new signals settle",
  );
  t.notOk(
    agent.lines.some((l) => /sync held/.test(l)),
    "it did not fire on the old connectivity's word",
  );
  for (let i = 0; i < 200 && status().reason !== "probe bad"; i++) await new Promise((r) => setTimeout(r, 50));
  t.match(status(), { online: false, reason: "probe bad" }, "the new probe decides: the portal is offline");

  // A manual override survives a reload.
  t.equal(run("net", "offline", "--control", control).status, 0);
  agent.child.kill("SIGHUP");
  for (let i = 0; i < 200 && agent.lines.filter((l) => /"event":"config reloaded"/.test(l)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(status().manual, "offline", "the manual override stays");
  t.match(JSON.parse(run("net", "auto", "--control", control).stdout), { manual: "auto" });
  const fired = run("sync", "fire", "outbox", "--scope", `${base}/a/`, "--control", control);
  t.equal(fired.status, 1, "the event ran (and failed, as the worker does)");
  await agent.waitFor(/sync outbox count=2/);
  t.pass("the same worker ran it: its own state counted on");

  // Bad new configs: one line each, and the running one stays.
  const refusals: [string, unknown, RegExp][] = [
    ["not JSON", "{nope", /"event":"problem","message":"reload refused, the running config stays: config .*agent\.json is not valid JSON/],
    ["a bad field", { ...reloaded, probe: { url: "ftp://x/" } }, /reload refused, the running config stays: probe\.url must be an http\(s\) URL/],
    ["a change that needs a restart", { ...reloaded, store: "elsewhere" }, /reload refused, the running config stays: store changed, which needs a restart/],
    [
      "browser origins added",
      { ...reloaded, browser: { origins: ["http://localhost:8080"] } },
      /reload refused, the running config stays: browser changed, which needs a restart/,
    ],
    ["a worker removed", config, /reload refused, the running config stays: the service worker of .*\/b\/ was removed, which needs a restart/],
    [
      "a missing script",
      { ...reloaded, serviceWorkers: [...reloaded.serviceWorkers, { script: "absent.js", scope: `${base}/c/` }] },
      /reload refused, the running config stays: cannot read service worker .*absent\.js: ENOENT/,
    ],
  ];
  for (const [name, body, reason] of refusals) {
    const before = agent.lines.length;
    await write(body);
    agent.child.kill("SIGHUP");
    t.match(await agent.waitFor(reason), reason, name);
    t.equal(agent.lines.slice(before).filter((l) => /reload refused/.test(l)).length, 1, `${name}: one line`);
  }
  now = status();
  t.match(
    now,
    { required: ["probe"], reason: "probe bad", registrations: [{ tag: "outbox", attempts: 1 }, { tag: "held" }] },
    "still running on the last good config (a fire by hand counts no attempt)",
  );
  t.equal(now.registrations.length, 2);
  agent.child.kill("SIGTERM");
  t.equal(await new Promise((r) => agent.child.on("exit", r)), 0, "and SIGTERM still exits 0");
});
