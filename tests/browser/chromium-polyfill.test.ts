// The browser scenarios in Chromium with syncward's polyfill forced over the native API
// (mode "force"), and Chromium with its Background Sync disabled as Electron ships it, where
// the polyfill must notice the rejection and take over on its own (mode "auto").
import t from "tap";
import { BACKGROUND_SYNC_DISABLED, ChromiumSession } from "./harness/chromium-session.js";
import { SyncTestServer } from "./harness/sync-test-server.js";
import { pageConfig, inPage } from "./environment.js";
import { scenarios } from "./scenarios.js";

declare function syncMessagesLater(): Promise<void>;

for (const scenario of scenarios) {
  if (scenario.modes && !scenario.modes.includes("chromium-polyfill")) continue;
  t.test(scenario.name, (t) => scenario.run(t, "chromium-polyfill"));
}

t.test("Background Sync disabled (Electron): the first rejected call hands the API to syncward", async (t) => {
  const server = await SyncTestServer.start(pageConfig("chromium-native"));
  t.teardown(() => server.close());
  const chromium = await ChromiumSession.launch({ args: BACKGROUND_SYNC_DISABLED });
  t.teardown(() => chromium.close());
  const app = await chromium.newPage(server.url);
  const mode = () => app.eval(() => (globalThis as unknown as { syncward: { mode: string } }).syncward.mode);
  // The app's getTags() example runs at load: the native API's rejection hands it over.
  await server.until("syncward to take over", async () => (await mode()) === "polyfill");
  t.pass('the native API\'s "Background Sync is disabled." made syncward take over');

  const logged = await app.eval(async () => {
    const lines: string[] = [];
    console.log = (...args: unknown[]) => void lines.push(args.join(" "));
    await syncMessagesLater();
    return lines;
  });
  t.same(logged, [], "the documentation's register() example sees no error");
  await server.until("the sync event", () => server.syncs("sync-messages").length > 0);
  t.same(await inPage.getTags(app), [], "getTags() answered by syncward too");

  await inPage.tellWorker(app, { test: "register", tag: "test-worker-disabled" });
  const registered = await server.until("the worker's register()", () => server.records.find((r) => r.kind === "register"));
  t.same(registered.result, { ok: true }, "the worker's register() goes through syncward as well");
  await server.until("its event", () => server.syncs("test-worker-disabled").length > 0);
});
