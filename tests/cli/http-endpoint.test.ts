// `syncward agent --http 127.0.0.1:PORT`: a real agent, real HTTP requests. /healthz answers,
// /metrics is Prometheus' text format with the registrations by state, the events fired,
// failed and timed out, the online transitions and the store's commit latency; an address off
// loopback is refused with one line before anything starts.
import t from "tap";
import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, start } from "./cli-process.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });

/** The value of the sample `name{labels}` in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test("/healthz and /metrics of a running agent", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-http-"));
  const sw = join(dir, "sw.js");
  // "fail" rejects, "hang" never settles (past the 1 s event time limit), "ok" completes.
  await writeFile(
    sw,
    `
    self.addEventListener("sync", (event) => {
      if (event.tag === "fail") event.waitUntil(Promise.reject(new Error("backend down")));
      if (event.tag === "hang") event.waitUntil(new Promise(() => {}));
    });
    self.addEventListener("activate", () => { for (const tag of ["ok", "fail", "hang"]) self.registration.sync.register(tag); });
  `,
  );
  await writeFile(join(dir, "agent.json"), JSON.stringify({ policy: { eventTimeout: 1000, lastChanceEventTimeout: 1000 } }));
  const control = join(dir, "c.sock");
  const agent = start([
    "--config",
    join(dir, "agent.json"),
    "--sw",
    sw,
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "store"),
    "--control",
    control,
    "--no-mqtt",
    "--http",
    "127.0.0.1:0",
    "--log",
    "json",
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  const { url } = JSON.parse(await agent.waitFor(/"event":"HTTP endpoint"/)) as { url: string };
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  await agent.waitFor(/"eventName":"sync event failed".*"value":"timeout"/);

  const health = await fetch(`${url}/healthz`);
  t.equal(health.status, 200);
  t.equal(await health.text(), "ok\n");
  t.equal(run("net", "offline", "--control", control).status, 0, "one online transition (online → offline)");

  const response = await fetch(`${url}/metrics`);
  t.equal(response.status, 200);
  t.match(response.headers.get("content-type"), /^text\/plain; version=0\.0\.4/, "Prometheus' text format");
  const text = await response.text();
  t.match(text, /# TYPE syncward_registrations gauge/);
  t.equal(sample(text, 'syncward_registrations{kind="one-shot",state="waiting"}'), 2, "fail and hang wait out their back-off");
  t.equal(sample(text, 'syncward_events_fired_total{service="backgroundSync"}'), 3);
  t.equal(sample(text, 'syncward_events_failed_total{service="backgroundSync",reason="waitUntil rejected"}'), 1);
  t.equal(sample(text, 'syncward_events_timed_out_total{service="backgroundSync"}'), 1);
  t.equal(sample(text, 'syncward_online_transitions_total{to="offline"}'), 1);
  t.match(text, /# TYPE syncward_store_commit_seconds histogram/);
  const commits = sample(text, "syncward_store_commit_seconds_count") ?? 0;
  t.ok(commits >= 3, `${commits} store commits timed (three registrations, then their outcomes)`);
  t.ok((sample(text, "syncward_store_commit_seconds_sum") ?? 0) > 0, "taking some time");
  t.ok(sample(text, 'syncward_store_commit_seconds_bucket{le="+Inf"}') === commits, "every commit in the +Inf bucket");

  t.equal((await fetch(`${url}/nope`)).status, 404);
  t.equal((await fetch(`${url}/metrics`, { method: "POST" })).status, 405);
  agent.child.kill("SIGTERM");
  t.equal(await new Promise((r) => agent.child.on("exit", r)), 0);
});

t.test("an address off loopback, or not an address: one line, exit 2, nothing started", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-http-bad-"));
  const cases: [string, RegExp][] = [
    ["0.0.0.0:9464", /http must be on loopback \(127\.0\.0\.1 or \[::1\]\): the endpoint has no authentication; got "0\.0\.0\.0:9464"/],
    ["192.168.1.20:9464", /http must be on loopback/],
    ["[::]:9464", /http must be on loopback/],
    ["localhost:9464", /http must be on loopback/],
    ["127.0.0.1", /http must be a loopback address and port such as 127\.0\.0\.1:9464, got "127\.0\.0\.1"/],
    ["127.0.0.1:99999", /http must be a loopback address and port/],
  ];
  for (const [address, reason] of cases) {
    const r = run(
      "agent",
      "--sw",
      join(dir, "sw.js"),
      "--scope",
      "http://127.0.0.1:9/",
      "--store",
      join(dir, "s"),
      "--control",
      join(dir, "c.sock"),
      "--no-mqtt",
      "--http",
      address,
    );
    t.equal(r.status, 2, `${address}: exit 2`);
    t.match(r.stderr, reason, address);
    t.equal(r.stderr.trim().split("\n").length, 1, `${address}: one line`);
    t.equal(r.stdout, "", `${address}: nothing started`);
  }
});
