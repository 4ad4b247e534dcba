// `syncward sync list` and `syncward sync fire TAG` against a running agent, through its real
// control socket.
import t from "tap";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, start } from "./cli-process.js";
import { Agent } from "../../agent/agent.js";
import { BrowserScopes } from "../../agent/browser-scopes.js";
import { FileStore } from "../../agent/node/file-store.js";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import { singleTenant } from "../../wasm-core/binding/scheduler-endpoint.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000 });

t.test("sync list shows the back-off and the last failure; sync fire dispatches at once and costs no attempt", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-sync-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const server: Server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const scope = `http://127.0.0.1:${port}/`;
  const sw = join(dir, "sw.js");
  await writeFile(
    sw,
    `
    self.addEventListener("sync", (event) => {
      console.log("got " + event.tag + " lastChance=" + event.lastChance);
      if (event.tag === "flaky") event.waitUntil(Promise.reject(new Error("backend down")));
    });
    self.addEventListener("activate", () => { setTimeout(() => self.registration.sync.register("flaky"), 50); });
  `,
  );
  const control = join(dir, "c.sock");
  const agent = start([
    "--sw",
    sw,
    "--scope",
    scope,
    "--store",
    join(dir, "store"),
    "--control",
    control,
    "--probe",
    `http://127.0.0.1:${port}/health`,
    "--no-mqtt",
    "--settle",
    "0",
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/sync event failed {2}tag=flaky/);
  const sync = (...args: string[]) => run("sync", ...args, "--control", control);

  const listed = sync("list", "--json");
  t.equal(listed.status, 0, listed.stderr);
  const [flaky] = JSON.parse(listed.stdout) as {
    tag: string;
    state: string;
    attempts: number;
    delayUntil: number;
    lastFailure: { at: number; reason: string };
  }[];
  t.match(flaky, { scope, runsIn: "node", tag: "flaky", kind: "one-shot", state: "waiting", attempts: 1, lastFailure: { reason: "waitUntil rejected" } });
  // Chromium's first back-off: 5 minutes from the failure.
  t.ok(
    Math.abs(flaky!.delayUntil - flaky!.lastFailure.at - 5 * 60_000) < 2_000,
    `next attempt 5 min after the failure: ${flaky!.delayUntil - flaky!.lastFailure.at} ms`,
  );
  const text = sync("list");
  t.equal(text.status, 0, text.stderr);
  const [header, row, ...more] = text.stdout.trimEnd().split("\n");
  t.match(header, /^ORIGIN +RUNS IN +SCOPE +TAG +KIND +STATE +ATTEMPTS +NEXT ATTEMPT +LAST FAILURE$/);
  t.match(
    row,
    new RegExp(
      `^${new URL(scope).origin} +node +${scope} +flaky +one-shot +waiting +1 +${new Date(flaky!.delayUntil).toISOString()} +\\S+Z waitUntil rejected$`,
    ),
  );
  t.same(more, []);

  const fired = sync("fire", "by-hand");
  t.equal(fired.status, 0, fired.stderr);
  t.equal(fired.stdout, `sync event completed  tag=by-hand  scope=${scope}\n`);
  await agent.waitFor(/got by-hand lastChance=false/);
  await agent.waitFor(/sync event fired by hand .*tag=by-hand outcome=success/);

  const failed = sync("fire", "flaky");
  t.equal(failed.status, 1, "a failed event: exit 1");
  t.equal(failed.stdout, `sync event failed  tag=flaky  scope=${scope}  Failure Reason: waitUntil rejected\n`);
  const after = JSON.parse(sync("list", "--json").stdout) as { tag: string; attempts: number }[];
  t.same(
    after.map((r) => [r.tag, r.attempts]),
    [["flaky", 1]],
    "the registration is as it was: firing by hand costs no attempt and registers nothing",
  );

  const elsewhere = sync("fire", "x", "--scope", "http://elsewhere.example/");
  t.equal(elsewhere.status, 1);
  t.equal(elsewhere.stderr, `syncward: no service worker with the scope http://elsewhere.example/ (scopes: ${scope})\n`);
});

t.test("a browser origin's stored registrations are the agent's: listed per origin, held while no browser is connected", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-sync-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = join(dir, "registrations");
  const browserScope = "http://localhost:8080/app/";
  // What a page handed over before the agent (and the browser) restarted.
  const scopes = new BrowserScopes({ dispatch: async () => ({ outcome: "success" }) });
  const before = await Agent.start({
    scheduler: singleTenant(await createScheduler({ preset: "chromium" })),
    store: new FileStore({ path: store }),
    dispatcher: scopes,
  });
  scopes.serve(before);
  const handed = scopes.add(browserScope);
  handed.attach({ dispatch: () => new Promise(() => {}) }, "bridge");
  await handed.registration.sync.register("outbox");
  await before.close();

  const control = join(dir, "c.sock");
  const agent = start(["--browser-origin", "http://localhost:8080", "--store", store, "--control", control, "--no-mqtt"]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/syncward agent ready/);
  const sync = (...args: string[]) => run("sync", ...args, "--control", control);
  const [listed] = JSON.parse(sync("list", "--json").stdout) as { scope: string; tag: string; runsIn: string; state: string; attempts: number }[];
  t.match(listed, { scope: browserScope, tag: "outbox", runsIn: "browser (not connected)", state: "pending", attempts: 0 }, "held, nothing counted");
  const [, row] = sync("list").stdout.trimEnd().split("\n");
  t.match(row, /^http:\/\/localhost:8080 +browser \(not connected\) +http:\/\/localhost:8080\/app\/ +outbox +one-shot +pending +0 /);
  const fired = sync("fire", "by-hand", "--scope", browserScope);
  t.equal(fired.status, 1);
  t.equal(fired.stdout, `sync event failed  tag=by-hand  scope=${browserScope}  Failure Reason: no worker took it (the browser is not connected)\n`);
});

t.test("sync: bad use is one line and exit 2; --help is its own", async (t) => {
  for (const [args, reason] of [
    [["sync"], /sync needs: list, or fire TAG/],
    [["sync", "fire"], /sync needs/],
    [["sync", "list", "extra"], /sync needs/],
    [["sync", "fire", "a", "--json"], /--json goes with sync list/],
    [["sync", "list", "--scope", "http://a/"], /--scope goes with sync fire/],
  ] as const) {
    const r = run(...args);
    t.equal(r.status, 2, `${args.join(" ")}: exit 2`);
    t.match(r.stderr, reason);
    t.equal(r.stderr.trim().split("\n").length, 1);
  }
  const help = run("sync", "--help");
  t.equal(help.status, 0);
  t.match(help.stdout, /^Usage: syncward sync list[\s\S]*fire TAG/);
  t.equal(run("sync", "list", "--control", join(tmpdir(), "nobody-here.sock")).status, 1, "no agent: exit 1");
});
