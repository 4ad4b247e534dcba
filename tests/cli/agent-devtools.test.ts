// `syncward agent --browser-devtools` driving a real Chromium's service worker: the device's
// "offline" (`syncward net offline`) holds a registration the page made with the native API
// while Chromium thinks it is online, `syncward sync list` shows it, `net online` releases it
// with the page closed; and the registration outlives the browser: Chromium restarted on a
// wiped profile gets it from the agent's store. A periodic registration is the agent's as soon
// as the page makes it: listed, held while offline, fired as periodicsync, gone with unregister().
import t from "tap";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, start } from "./cli-process.js";
import { periodicHeldThenFired } from "./periodic-held-then-fired.js";
import { ChromiumProcess } from "../browser/harness/chromium-process.js";
import { SyncTestServer } from "../browser/harness/sync-test-server.js";
import { pageConfig } from "../browser/environment.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000 });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `syncward agent` serving `origin` in the Chromium at `endpoint`, without MQTT; connected to it when this resolves. */
async function devtoolsAgent(t: { teardown(fn: () => unknown): void }, dir: string, origin: string, endpoint: string, extra: string[] = []) {
  const control = join(dir, "control.sock");
  const agent = start([
    ...extra,
    "--browser-origin",
    origin,
    "--browser-devtools",
    endpoint,
    "--store",
    join(dir, "registrations"),
    "--control",
    control,
    "--no-mqtt",
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/DevTools: connected/);
  return { agent, control };
}

t.test("the device's offline holds a native registration while Chromium is online; it fires after a browser restart on a wiped profile", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-devtools-cli-"));
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const server = await SyncTestServer.start(pageConfig("chromium-native"));
  t.teardown(() => server.close());
  let chromium = await ChromiumProcess.launch(join(dir, "profile-1"));
  const port = chromium.port;
  t.teardown(() => chromium.close());
  const { agent, control } = await devtoolsAgent(t, dir, server.origin, chromium.endpoint);
  const net = (set: string) => t.equal(run("net", set, "--control", control).status, 0, `net ${set}`);
  const list = () => JSON.parse(run("sync", "list", "--json", "--control", control).stdout) as { scope: string; tag: string; runsIn: string; state: string }[];
  net("offline");

  const page = await chromium.open(server.url);
  t.equal(await page.register("test-outage"), "registered", "the page registers with Chromium's own API");
  await server.until("sync list to show it", () => list().find((r) => r.tag === "test-outage"));
  t.match(list(), [{ scope: server.url, tag: "test-outage", runsIn: "browser (devtools)", state: "pending" }], "the agent holds it");
  const devtools = () => (JSON.parse(run("net", "status", "--control", control).stdout) as { devtools?: { connected: boolean; scopes: string[] } }).devtools;
  t.match(devtools(), { connected: true, scopes: [server.url] }, "net status shows the browser connected and the scope it serves");
  await page.close();
  await pause(1_000);
  t.same(server.syncs("test-outage"), [], "Chromium thinks it is online; the listener has not run");

  // The browser goes, and comes back with a wiped profile (a kiosk image reset).
  await chromium.close();
  await agent.waitFor(/DevTools: the connection .* closed/);
  t.match(list(), [{ tag: "test-outage", runsIn: "browser (not connected)" }], "still held, by the agent alone");
  t.match(devtools(), { connected: false }, "net status shows the browser gone");
  // On the port the agent knows (a kiosk's launcher starts Chromium the same way each time).
  chromium = await ChromiumProcess.launch(join(dir, "profile-2"), [], port);
  await server.until("the agent to reconnect on its own", () => agent.lines.filter((l) => l.includes("DevTools: connected")).length === 2);
  // The app installs its worker again in the fresh profile; the page then closes.
  const fresh = await chromium.open(server.url);
  await server.until("the agent to serve the scope again", () => list().find((r) => r.tag === "test-outage" && r.runsIn === "browser (devtools)"));
  await fresh.close();
  await pause(500);
  t.same(server.syncs("test-outage"), [], "held while the device is offline");
  net("online");
  const [fired] = await server.until("the listener to run", () => server.syncs("test-outage").length > 0 && server.syncs("test-outage"));
  t.equal(fired!.lastChance, false);
  await server.until("the registration to complete", () => list().length === 0);
  await agent.waitFor(/sync event completed {2}tag=test-outage/);
  t.equal(server.syncs("test-outage").length, 1, "fired once");
});

t.test("a periodic registration the page makes is listed by sync list, held while offline, fired as periodicsync, gone with unregister()", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-devtools-cli-"));
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const server = await SyncTestServer.start(pageConfig("chromium-native"));
  t.teardown(() => server.close());
  const chromium = await ChromiumProcess.launch(join(dir, "profile"));
  t.teardown(() => chromium.close());
  // Chromium's floor is 12 hours; the test's policy lets the app's minInterval rule.
  await writeFile(join(dir, "agent.json"), JSON.stringify({ policy: { periodicMinInterval: 500, scopeMinGap: 0, wakeupGranularity: 0 } }));
  const { agent, control } = await devtoolsAgent(t, dir, server.origin, chromium.endpoint, ["--config", join(dir, "agent.json")]);
  const list = () => JSON.parse(run("sync", "list", "--json", "--control", control).stdout) as { tag: string; kind: string; runsIn: string }[];
  t.equal(run("net", "offline", "--control", control).status, 0, "net offline");
  const page = await chromium.open(server.url);
  t.equal(await page.registerPeriodic("test-hourly", 1_000), "registered", "the page registers with Chromium's own API");
  const net = (set: "online" | "offline") => run("net", set, "--control", control).status;
  await periodicHeldThenFired(t, { agent, server, list, net }, "test-hourly");
  t.equal(await page.eval(`navigator.serviceWorker.ready.then((r) => r.periodicSync.unregister("test-hourly")).then(() => "unregistered")`), "unregistered");
  await server.until("sync list to drop it", () => list().length === 0);
});
