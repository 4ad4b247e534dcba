// The browser scenarios of a registration's lifetime beyond the page that made it: a page
// reload, a browser restart on a persistent profile, and two tabs of the app, where one fires
// and the other takes over when it closes. As every scenario (scenarios.ts), each runs
// against Chromium native too, where it applies.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChromiumSession } from "./harness/chromium-session.js";
import { chromiumOutage, environment, inPage, type Environment } from "./environment.js";
import { quiet, untilTags, type Scenario } from "./scenario.js";

const reload: Scenario = {
  name: "registrations survive a page reload",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { app, server } = env;
    await env.offline();
    await inPage.register(app, "test-reload");
    await env.reload();
    t.same(await inPage.getTags(app), ["test-reload"], "still registered after the reload");
    await env.online();
    await server.until("the event", () => server.syncs("test-reload").length > 0);
    await untilTags(env, "it to complete", (tags) => tags.length === 0);
    await quiet();
    t.equal(server.syncs("test-reload").length, 1, "fired once");
  },
};

const restart: Scenario = {
  name: "registrations survive a browser restart (a persistent profile)",
  // WebKit's WebDriver sessions (WPE, WebKitGTK) are ephemeral (a fresh profile each):
  // nothing can survive them, so WebKit is covered by the reload scenario.
  modes: ["chromium-polyfill", "chromium-native"],
  async run(t, mode) {
    const profile = await mkdtemp(join(tmpdir(), "syncward-profile-"));
    t.teardown(() => rm(profile, { recursive: true, force: true }));
    const first = await ChromiumSession.launch({ userDataDir: profile });
    t.teardown(() => first.close());
    const before = await environment(t, mode, { chromiumSession: first });
    await before.offline();
    await inPage.register(before.app, "test-restart");
    await first.close();

    // Native Chromium fires stored registrations as it starts, before DevTools' offline
    // emulation reaches the worker; started offline, that first attempt could race the
    // emulation, fail, and back off for 5 minutes. The native reference therefore restarts
    // online and shows the registration survived by firing once.
    const second = await ChromiumSession.launch({ userDataDir: profile, offline: mode !== "chromium-native" });
    t.teardown(() => second.close());
    const server = before.server;
    const app = await second.newPage(server.url);
    const after: Environment = { ...before, app, chromium: second, ...chromiumOutage(second, server, app, before.polyfill) };
    if (after.polyfill) {
      t.same(await inPage.getTags(app), ["test-restart"], "still registered after the restart");
      await quiet();
      t.same(server.syncs("test-restart"), [], "held: the browser came back offline");
    } else {
      t.comment("native: restarted online; the stored registration fires at start-up");
    }
    await after.online();
    await server.until("the event", () => server.syncs("test-restart").length > 0);
    await untilTags(after, "it to complete", (tags) => tags.length === 0);
    await quiet();
    t.equal(server.syncs("test-restart").length, 1, "fired once");
  },
};

const twoTabs: Scenario = {
  name: "two tabs: one fires, and the other takes over when it closes",
  async run(t, mode) {
    const env = await environment(t, mode);
    const { server } = env;
    const { apps, close } = await env.twoInstances();
    let leader = 0 as 0 | 1;
    if (env.polyfill) {
      const leading = await server.until("a leader", async () => {
        const both = [await inPage.leading(apps[0]), await inPage.leading(apps[1])];
        return both.some(Boolean) && both;
      });
      t.same(leading.filter(Boolean).length, 1, "exactly one tab leads");
      leader = leading[0] ? 0 : 1;
    }
    const follower = (1 - leader) as 0 | 1;
    await env.offline(apps[follower]);
    await inPage.register(apps[follower], "test-two");
    await inPage.register(apps[leader], "test-two");
    await env.online(apps[follower]);
    await server.until("the event", () => server.syncs("test-two").length > 0);
    await server.until("it to complete", async () => (await inPage.getTags(apps[follower])).length === 0);
    await quiet();
    t.equal(server.syncs("test-two").length, 1, "registered in both tabs, fired once");

    await env.offline(apps[follower]);
    await inPage.register(apps[leader], "test-takeover");
    await close(leader);
    if (env.polyfill) await server.until("the other tab to lead", () => inPage.leading(apps[follower]));
    t.same(await inPage.getTags(apps[follower]), ["test-takeover"], "the remaining tab sees the registration");
    await env.online(apps[follower]);
    await server.until("the event from the remaining tab", () => server.syncs("test-takeover").length > 0);
    await server.until("it to complete", async () => (await inPage.getTags(apps[follower])).length === 0);
    await quiet();
    t.equal(server.syncs("test-takeover").length, 1, "fired once");
  },
};

export const lifetimeScenarios: Scenario[] = [reload, restart, twoTabs];
