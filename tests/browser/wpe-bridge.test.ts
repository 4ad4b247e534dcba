// WPE WebKit (Cog through WPEWebDriver) with the device's `syncward agent` deciding through
// the page bridge: the outbox demo's app with the test hooks (sync-test-server.ts), a real
// agent process with its embedded MQTT broker, and the firmware's device status published on
// it. The device status holds events back and releases them; a page reload and a Cog restart
// (a new profile: WPEWebDriver's is ephemeral) keep the registrations; an agent killed during
// an event and restarted fires it again; what a page registered while the agent was away is
// handed to it once; a wrong token or origin leaves the page on its own.
import t from "tap";
import { inPage } from "./environment.js";
import { quiet, type Test } from "./scenario.js";
import { DeviceAgent } from "./harness/device-agent.js";
import { SyncTestServer } from "./harness/sync-test-server.js";
import { WebKitSession } from "./harness/webkit-session.js";
import type { LeaderStatus } from "../../agent/browser/leader-agent.js";
import type { BrowserPage } from "./harness/browser-page.js";

interface Kiosk {
  server: SyncTestServer;
  device: DeviceAgent;
  page: BrowserPage;
  /** Load the app at `url` (default the server's) and wait for its worker and its Agent. */
  load(decidedBy?: LeaderStatus["decidedBy"], url?: string): Promise<void>;
  status(): Promise<LeaderStatus>;
  newBrowser(): Promise<void>;
}

async function kiosk(t: Test, options: { token?: string; agentFirst?: boolean } = {}): Promise<Kiosk> {
  const server = await SyncTestServer.start({});
  t.teardown(() => server.close());
  const device = await DeviceAgent.start(server.origin);
  t.teardown(() => device.close());
  server.state.config = { mode: "auto", bridge: { ...device.bridge, ...(options.token ? { token: options.token } : {}) } };
  let page = await WebKitSession.start("wpe", (close) => t.teardown(close));
  const k: Kiosk = {
    server,
    device,
    get page() {
      return page;
    },
    status: () => inPage.status(page) as unknown as Promise<LeaderStatus>,
    async load(decidedBy = "device agent", url = server.url) {
      await page.goto(url);
      await page.eval(async () => {
        for (let i = 0; i < 400 && !("syncward" in globalThis); i++) await new Promise((r) => setTimeout(r, 25));
        await navigator.serviceWorker.ready;
      });
      await server.until(`the ${decidedBy} to decide`, async () => (await k.status()).decidedBy === decidedBy);
    },
    async newBrowser() {
      await page.close();
      page = await WebKitSession.start("wpe", (close) => t.teardown(close));
    },
  };
  return k;
}

const tags = (device: DeviceAgent) => device.list().map((r) => r.tag);

t.test("the device's MQTT status holds events back and releases them", async (t) => {
  const { server, device, page, load, status } = await kiosk(t);
  await device.deviceStatus(false);
  await load();
  t.equal((await status()).online, false, "the page sees the device's offline");
  t.same(await inPage.register(page, "test-held"), { ok: true, value: undefined });
  await quiet();
  t.same(server.syncs("test-held"), [], "held while the device says offline");
  t.match(device.list(), [{ tag: "test-held", state: "pending", attempts: 0, runsIn: "browser (bridge)" }]);
  const published = Date.now();
  await device.deviceStatus(true);
  const [event] = await server.until("the sync event", () => server.syncs("test-held").length > 0 && server.syncs("test-held"));
  t.ok(event!.at >= published, "fired after the device said online");
  t.equal(event!.lastChance, false);
  await server.until("the agent to count it complete", () => device.list().length === 0);
  t.same(await inPage.getTags(page), [], "getTags answers from the agent");
});

t.test("a page reload and a Cog restart (a new profile) keep the registrations", async (t) => {
  const k = await kiosk(t);
  await k.device.deviceStatus(false);
  await k.load();
  t.same(await inPage.register(k.page, "test-kept"), { ok: true, value: undefined });
  await k.page.reload();
  await k.load();
  t.same(await inPage.getTags(k.page), ["test-kept"], "after a reload");

  await k.newBrowser();
  t.match(k.device.list(), [{ tag: "test-kept", runsIn: "browser (not connected)" }], "the agent keeps it with no browser");
  // Online before the new profile has the app's worker: the event waits for it, costing nothing.
  await k.device.deviceStatus(true);
  await k.page.goto(`${k.server.origin}/page-only.html`);
  await k.server.until("the page to connect", async () =>
    k.page.eval(
      async () =>
        "syncward" in globalThis &&
        (await (globalThis as unknown as { syncward: { status(): Promise<LeaderStatus> } }).syncward.status()).decidedBy === "device agent",
    ),
  );
  await quiet();
  t.same(k.server.syncs("test-kept"), [], "no worker yet: nothing fired");
  t.match(k.device.list(), [{ tag: "test-kept", state: "pending", attempts: 0, runsIn: "browser (bridge)" }], "held, nothing counted");
  await k.load();
  t.same(await inPage.getTags(k.page), ["test-kept"], "a new profile sees the agent's registration");
  await k.server.until("the sync event", () => k.server.syncs("test-kept").length > 0);
  await k.server.until("completion", () => k.device.list().length === 0);
  await quiet();
  t.equal(k.server.syncs("test-kept").length, 1, "fired once");
});

t.test("the agent killed during an event and restarted fires it again; nothing is lost", async (t) => {
  const k = await kiosk(t);
  await k.device.deviceStatus(true);
  await k.load();
  await k.server.until("online", async () => (await k.status()).online);
  k.server.verdict("test-crash", "hold");
  t.same(await inPage.register(k.page, "test-crash"), { ok: true, value: undefined });
  await k.server.until("the first event", () => k.server.held("test-crash") === 1);
  await k.device.kill();
  // The page decides alone meanwhile: it has nothing of its own to fire.
  await k.server.until("the page to decide alone", async () => (await k.status()).decidedBy === "page");
  await k.device.restart();
  t.match(k.device.list(), [{ tag: "test-crash", state: "pending", attempts: 0 }], "stored; the event in flight cost no attempt");
  await k.device.deviceStatus(true);
  await k.server.until("the page to hand back to the agent", async () => (await k.status()).decidedBy === "device agent");
  await k.server.until("the event again", () => k.server.held("test-crash") === 2, 30_000);
  k.server.release("test-crash", "success");
  await k.server.until("completion", () => k.device.list().length === 0);
  t.equal(k.server.syncs("test-crash").length, 2, "fired twice: the first was lost with the agent");
});

t.test("what the page registered while the agent was away is handed to it once", async (t) => {
  const k = await kiosk(t);
  await k.device.kill();
  // The page's own signals say offline (its probe fails), so its registration waits in its store.
  k.server.state.config = { ...(k.server.state.config as object), probe: { url: "/health", intervalMs: 150, maxIntervalMs: 150 }, settleMs: 0 };
  k.server.state.health = 503;
  await k.load("page");
  t.same(await inPage.register(k.page, "test-handed"), { ok: true, value: undefined });
  t.match((await k.status()).registrations, [{ tag: "test-handed", state: "pending" }]);
  await k.device.restart();
  await k.device.deviceStatus(false);
  await k.server.until("the hand-over", async () => (await k.status()).decidedBy === "device agent");
  t.match(k.device.list(), [{ tag: "test-handed", state: "pending", runsIn: "browser (bridge)" }]);
  const stored = await k.page.eval(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open("syncward");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction("registrations").objectStore("registrations").count();
          count.onsuccess = () => resolve(count.result);
        };
      }),
  );
  t.equal(stored, 0, "removed from the page's store");
  k.server.state.health = 204;
  await k.device.deviceStatus(true);
  await k.server.until("the event", () => k.server.syncs("test-handed").length > 0);
  await k.server.until("completion", () => k.device.list().length === 0);
  await quiet();
  t.equal(k.server.syncs("test-handed").length, 1, "fired once, by the agent");
  t.same(tags(k.device), []);
});

t.test("a wrong token or another origin is refused: the page decides alone, and the agent says why", async (t) => {
  const wrong = await kiosk(t, { token: "wrong-token-wrong-token" });
  await wrong.load("page");
  await wrong.device.waitFor(/bridge: refused a connection from http:\/\/localhost:\d+: wrong or missing token/);

  const other = await kiosk(t);
  // The same app at http://127.0.0.1:PORT: another origin than the allowed http://localhost:PORT.
  await other.load("page", other.server.url.replace("localhost", "127.0.0.1"));
  await other.device.waitFor(/bridge: refused a connection from http:\/\/127.0.0.1:\d+: its origin is not in browser.origins/);
  t.same(tags(other.device), []);
});
