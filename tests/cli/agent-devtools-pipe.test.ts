// `syncward agent --browser-launch` starting a real Chromium itself and driving it over its
// `--remote-debugging-pipe`: no DevTools port is open, a registration the page makes with the
// native API is held while the device is offline, through a kill of the browser, which the
// agent starts again, and fires in the new browser when the device is online (a periodic one
// is held and fired too); the agent's stop ends the browser, and so does its SIGKILL. A command that cannot start is a log line and a retry; --browser-launch beside
// --browser-devtools is a usage error.
import t from "tap";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, start } from "./cli-process.js";
import { periodicHeldThenFired } from "./periodic-held-then-fired.js";
import { ARGS, BINARY } from "../browser/harness/chromium-process.js";
import { SyncTestServer } from "../browser/harness/sync-test-server.js";
import { pageConfig } from "../browser/environment.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000 });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The TCP ports process `pid` listens on (its socket inodes in LISTEN state in /proc/net/tcp and tcp6). */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (await readFile(table, "utf8")).split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEX-ADDRESS:HEX-PORT, st 0A is LISTEN, the inode is the tenth field.
      if (fields[3] === "0A" && inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test("the agent launches Chromium over its pipe: no port open, a registration held offline through a browser kill and relaunch fires online", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-devtools-pipe-"));
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const server = await SyncTestServer.start(pageConfig("chromium-native"));
  t.teardown(() => server.close());
  const profile = join(dir, "profile");
  const control = join(dir, "control.sock");
  const net = (set: string) => t.equal(run("net", set, "--control", control).status, 0, `net ${set}`);
  const list = () => JSON.parse(run("sync", "list", "--json", "--control", control).stdout) as { tag: string; runsIn: string; state: string }[];
  // The page registers once the test releases "go" (the device offline by then).
  server.verdict("go", "hold");
  const page = new URL("/register.html?tag=test-pipe&after=go", server.url).href;
  const agent = start([
    "--browser-origin",
    server.origin,
    "--browser-launch",
    [BINARY, ...ARGS, `--user-data-dir=${profile}`, page].join(" "),
    "--store",
    join(dir, "registrations"),
    "--control",
    control,
    "--no-mqtt",
  ]);
  const pids: number[] = [];
  t.teardown(() => {
    agent.child.kill("SIGKILL");
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
  });
  pids.push(Number(/pid (\d+)/.exec(await agent.waitFor(/DevTools: started the browser \(pid \d+\)/, 30_000))![1]));
  await agent.waitFor(/DevTools: connected to the browser it launches/, 30_000);
  t.notOk(existsSync(join(profile, "DevToolsActivePort")), "Chromium wrote no DevToolsActivePort: it opened no debugging port");
  t.same(await listeningPorts(pids[0]!), [], "the browser process listens on no TCP port");

  net("offline");
  server.release("go", "success");
  await server.until("sync list to show the page's registration", () => list().find((r) => r.tag === "test-pipe"));
  t.match(list(), [{ tag: "test-pipe", runsIn: "browser (devtools)", state: "pending" }], "the agent holds it, over the pipe");
  await pause(1_000);
  t.same(server.syncs("test-pipe"), [], "Chromium thinks it is online; the listener has not run");

  // The kiosk's browser dies while the agent holds the registration: the agent says so once and
  // starts it again. Its page loads again at once; it registers nothing more ("go" held again).
  server.verdict("go", "hold");
  process.kill(pids[0]!, "SIGKILL");
  await agent.waitFor(new RegExp(`DevTools: the browser \\(pid ${pids[0]}\\) exited \\(signal SIGKILL\\); starting it again in 2000 ms`));
  await server.until("the agent to hold it alone while the browser is away", () => list().find((r) => r.runsIn === "browser (not connected)"));
  const started = () => agent.lines.filter((l) => l.includes("DevTools: started the browser"));
  await server.until("the browser to be started again", () => started().length === 2);
  pids.push(Number(/pid (\d+)/.exec(started()[1]!)![1]));
  t.not(pids[1], pids[0], "a new browser process");
  await server.until("the agent to serve the scope in it", () => list().find((r) => r.tag === "test-pipe" && r.runsIn === "browser (devtools)"), 30_000);
  await pause(500);
  t.same(server.syncs("test-pipe"), [], "still held while the device is offline");
  net("online");
  const [fired] = await server.until("the listener to run in the new browser", () => server.syncs("test-pipe").length > 0 && server.syncs("test-pipe"));
  t.equal(fired!.lastChance, false);
  await agent.waitFor(/sync event completed {2}tag=test-pipe/);
  await server.until("the registration to complete", () => list().length === 0);
  t.equal(server.syncs("test-pipe").length, 1, "fired once");
  t.equal(agent.lines.filter((l) => l.includes("exited")).length, 1, "one line for the one exit");

  // The agent's stop ends the browser it started.
  const exited = new Promise((resolve) => agent.child.once("exit", resolve));
  agent.child.kill("SIGTERM");
  t.equal(await exited, 0, "the agent exits 0");
  t.notOk(alive(pids[1]!), "and the browser is gone with it");
});

t.test("over the pipe too, a periodic registration the page makes is the agent's: listed, held while offline, fired as periodicsync", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-devtools-pipe-"));
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const server = await SyncTestServer.start(pageConfig("chromium-native"));
  t.teardown(() => server.close());
  // Chromium's floor is 12 hours; the test's policy lets the app's minInterval rule.
  await writeFile(join(dir, "agent.json"), JSON.stringify({ policy: { periodicMinInterval: 500, scopeMinGap: 0, wakeupGranularity: 0 } }));
  const control = join(dir, "control.sock");
  const list = () => JSON.parse(run("sync", "list", "--json", "--control", control).stdout) as { tag: string; kind: string; runsIn: string }[];
  // The page registers once the agent has granted periodic-background-sync (on connecting) and the device is offline.
  server.verdict("go", "hold");
  const page = new URL("/register.html?tag=test-hourly&periodic=1000&after=go", server.url).href;
  const agent = start([
    "--config",
    join(dir, "agent.json"),
    "--browser-origin",
    server.origin,
    "--browser-launch",
    [BINARY, ...ARGS, `--user-data-dir=${join(dir, "profile")}`, page].join(" "),
    "--store",
    join(dir, "registrations"),
    "--control",
    control,
    "--no-mqtt",
  ]);
  const pid = Number(/pid (\d+)/.exec(await agent.waitFor(/DevTools: started the browser \(pid \d+\)/, 30_000))![1]);
  t.teardown(() => {
    agent.child.kill("SIGKILL");
    if (alive(pid)) process.kill(pid, "SIGKILL");
  });
  await agent.waitFor(/DevTools: connected to the browser it launches/, 30_000);
  t.equal(run("net", "offline", "--control", control).status, 0, "net offline");
  server.release("go", "success");
  const net = (set: "online" | "offline") => run("net", set, "--control", control).status;
  await periodicHeldThenFired(t, { agent, server, list, net }, "test-hourly");

  // An agent killed outright takes the browser with it: Chromium exits when its pipe closes, so
  // the agent started again does not find the profile in use by an orphan.
  agent.child.kill("SIGKILL");
  await server.until("the browser to exit with its pipe", () => !alive(pid), 10_000);
});

t.test("a browser command that cannot start, or exits at once, is one line and a retry, not a crash", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-devtools-pipe-"));
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const agent = (name: string, launch: string) => {
    const running = start([
      "--browser-origin",
      "http://localhost:8080",
      "--browser-launch",
      launch,
      "--store",
      join(dir, name, "registrations"),
      "--control",
      join(dir, `${name}.sock`),
      "--no-mqtt",
    ]);
    t.teardown(() => running.child.kill("SIGKILL"));
    return running;
  };
  const missing = join(dir, "no-such-browser");
  const absent = agent("absent", `${missing} --kiosk`);
  // Node refuses the switch the agent adds, as a browser refuses a bad one of its own: code 9 and a line on stderr.
  const refusing = agent("refusing", `${process.execPath} --no-warnings`);
  t.match(
    await absent.waitFor(/DevTools: cannot use/),
    `DevTools: cannot use the browser it launches (${missing} --kiosk) (spawn ${missing} ENOENT); retrying every 2000 ms`,
  );
  t.match(
    await refusing.waitFor(/DevTools: cannot use/),
    /DevTools: cannot use the browser it launches \(.+\) \(the browser exited \(code 9: .*bad option: --remote-debugging-pipe\)\); retrying every 2000 ms$/,
    "the browser's own reason",
  );
  await pause(4_500);
  for (const [name, running, expected] of [
    ["absent", absent, ["cannot use"]],
    ["refusing", refusing, ["started the browser", "cannot use"]],
  ] as const) {
    t.equal(running.child.exitCode, null, `${name}: the agent runs on`);
    const lines = running.lines.filter((l) => l.includes("DevTools: "));
    t.same(
      lines.map((l) => expected.find((e) => l.includes(e)) ?? l),
      expected,
      `${name}: the lines of the first attempt, none for those after (one outage): ${lines.join(" | ")}`,
    );
  }
});

t.test("--browser-launch beside --browser-devtools is a usage error: one line, exit 2", async (t) => {
  const r = run(
    "agent",
    "--browser-origin",
    "http://localhost:8080",
    "--browser-devtools",
    "http://127.0.0.1:9222",
    "--browser-launch",
    "/usr/bin/chromium",
    "--no-mqtt",
  );
  t.equal(r.status, 2);
  t.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  t.match(r.stderr, /--browser-devtools and --browser-launch exclude each other/);
  t.equal(r.stdout, "");
});

t.test("browser.launch in the config file: beside browser.devtools, or empty, is one line and exit 2", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-devtools-pipe-"));
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  for (const [browser, reason] of [
    [
      { origins: ["http://localhost:8080"], devtools: "http://127.0.0.1:9222", launch: ["/usr/bin/chromium"] },
      /browser\.devtools and browser\.launch exclude each other/,
    ],
    [{ origins: ["http://localhost:8080"], launch: [] }, /browser\.launch must be a non-empty array of strings/],
  ] as const) {
    const file = join(dir, "agent.json");
    await writeFile(file, JSON.stringify({ browser, mqtt: false }));
    const r = run("agent", "--config", file);
    t.equal(r.status, 2, `exit 2: ${r.stderr}`);
    t.equal(r.stderr.trim().split("\n").length, 1, "one line");
    t.match(r.stderr, reason);
  }
});
