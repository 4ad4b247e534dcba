// The kiosk app served by the device's agent itself (`--browser-serve DIR`) on
// http://localhost:PORT: a secure context, syncward's scripts at /syncward/, and the bridge's
// address and token at /syncward/bridge.json for the page's config. In WPE, the app's page
// connects with nothing but `bridge: "/syncward/bridge.json"` and its sync event waits for the
// device's MQTT status. Over plain HTTP: only loopback Host names are answered (a DNS-rebound
// name gets nothing), the token's JSON carries no CORS header, and paths stay in the directory.
import t from "tap";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { DeviceAgent } from "./harness/device-agent.js";
import { WebKitSession } from "./harness/webkit-session.js";

const INDEX = `<!doctype html>
<script>syncwardConfig = { bridge: "/syncward/bridge.json" };</script>
<script type="module" src="/syncward/page.js"></script>
<script>
  window.events = [];
  navigator.serviceWorker.register("/sw.js");
  navigator.serviceWorker.addEventListener("message", (event) => window.events.push(event.data));
</script>`;

// The MDN example's listener shape; it tells its pages which tag ran.
const SW = `importScripts("/syncward/sw.js");
self.addEventListener("sync", (event) => {
  event.waitUntil(self.clients.matchAll({ includeUncontrolled: true }).then((clients) => clients.forEach((c) => c.postMessage(event.tag))));
});`;

async function served(t: { teardown(fn: () => unknown): void }) {
  const app = await mkdtemp(join(tmpdir(), "syncward-app-"));
  t.teardown(() => rm(app, { recursive: true, force: true }));
  await writeFile(join(app, "index.html"), INDEX);
  await writeFile(join(app, "sw.js"), SW);
  const device = await DeviceAgent.start(undefined, ["--browser-serve", app]);
  t.teardown(() => device.close());
  const port = new URL(device.bridge.url).port;
  return { device, port, app: `http://localhost:${port}/` };
}

/** GET `path` from 127.0.0.1:`port` with the Host header `host`. */
function get(port: string, path: string, host: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, headers: { host } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    })
      .on("error", reject)
      .end();
  });
}

t.test("the agent serves the kiosk app on http://localhost, and the page reaches the bridge with its JSON", async (t) => {
  const { device, app } = await served(t);
  await device.deviceStatus(false);
  const page = await WebKitSession.start("wpe", (close) => t.teardown(close));
  await page.goto(app);
  const ready = await page.eval(async () => {
    for (let i = 0; i < 400 && !("syncward" in globalThis); i++) await new Promise((r) => setTimeout(r, 25));
    await navigator.serviceWorker.ready;
    const syncward = (globalThis as unknown as { syncward: { status(): Promise<{ decidedBy: string }> } }).syncward;
    for (let i = 0; i < 400 && (await syncward.status()).decidedBy !== "device agent"; i++) await new Promise((r) => setTimeout(r, 25));
    return { secure: isSecureContext, decidedBy: (await syncward.status()).decidedBy };
  });
  t.same(ready, { secure: true, decidedBy: "device agent" });
  await page.eval(async () => {
    const registration = (await navigator.serviceWorker.ready) as unknown as { sync: { register(tag: string): Promise<void> } };
    await registration.sync.register("sync-messages");
  });
  t.match(device.list(), [{ scope: app, tag: "sync-messages", runsIn: "browser (bridge)" }]);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.same(await page.eval(() => (window as unknown as { events: string[] }).events), [], "held while the device says offline");
  await device.deviceStatus(true);
  const events = await page.eval(async () => {
    const seen = (window as unknown as { events: string[] }).events;
    for (let i = 0; i < 400 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    return seen;
  });
  t.same(events, ["sync-messages"]);
});

t.test("only loopback Host names are answered; the token's JSON has no CORS header; paths stay inside", async (t) => {
  const { device, port } = await served(t);
  const json = await get(port, "/syncward/bridge.json", `localhost:${port}`);
  t.equal(json.status, 200);
  t.same(JSON.parse(json.body), { url: `ws://localhost:${port}/syncward/bridge`, token: device.bridge.token });
  t.equal(json.headers["access-control-allow-origin"], undefined, "another origin's page cannot read it");
  t.equal((await get(port, "/syncward/bridge.json", `rebound.example:${port}`)).status, 421, "a DNS-rebound name gets nothing");
  t.equal((await get(port, "/", `127.0.0.1:${port}`)).status, 200);
  t.equal((await get(port, "/syncward/page.js", `[::1]:${port}`)).status, 200, "syncward's scripts at /syncward/");
  t.equal((await get(port, "/%2e%2e/%2e%2e/etc/passwd", `localhost:${port}`)).status, 404);
  t.equal((await get(port, "/syncward/..%2fpackage.json", `localhost:${port}`)).status, 404, "the package's files beside dist/ are not served");
});
