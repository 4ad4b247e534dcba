// The connectivity scenarios every real broker must pass, each on its own device
// (broker-device.ts: a real Agent and core behind DeviceConnectivity and a real MQTT link, with
// the firmware and the backend as separate MQTT clients), some behind a TCP proxy that can cut
// the link (tcp-proxy.ts). Assertions are on what happened and how often, never on how fast:
// waits are generous.
import type { Test } from "tap";
import { createServer, type Server } from "node:http";
import { until, type BrokerFixture } from "./broker-fixtures.js";
import { device } from "./broker-device.js";
import { proxy } from "./tcp-proxy.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function brokerScenarios(t: Test, start: () => Promise<BrokerFixture>): void {
  let broker: BrokerFixture;
  t.before(async () => {
    broker = await start();
  });
  t.teardown(() => broker.stop());

  t.test("status payloads of each form reach the core: words, JSON with metered and onBattery, custom words", async (t) => {
    const d = await device(t, broker);
    await until(d.online, "online from the words and the backend's STATE");
    t.match(d.connectivity.status(), {
      online: true,
      reason: "settled: broker, deviceStatus, backendStatus good",
      signals: { broker: "good", deviceStatus: "good", backendStatus: "good" },
    });
    await d.firmwareSays(JSON.stringify({ online: true, metered: true, onBattery: true, rssi: -80 }));
    await until(() => d.connectivity.fusion.state.metered, "metered from JSON");
    t.match(d.changes.at(-1), { online: true, metered: true, onBattery: true });
    await d.firmwareSays("OFFLINE");
    await until(() => !d.online(), "offline from the word, any case");
    t.match(d.changes.at(-1), { online: false, reason: "deviceStatus bad", metered: true });
    await d.firmwareSays(JSON.stringify({ online: true, metered: false }));
    await until(d.online, "online again from JSON");
    t.match(d.connectivity.fusion.state, { metered: false, onBattery: true }, "onBattery kept from the last payload that carried it");

    const custom = await device(t, broker, { mqtt: { deviceStatus: { topic: `custom-${process.pid}/net`, onlineWord: "up", offlineWord: "down" } } });
    await custom.firmwareSays("up");
    await until(custom.online, "online from a custom word");
    await custom.firmwareSays("down");
    await until(() => !custom.online(), "offline from a custom word");
    await custom.firmwareSays("online");
    await until(
      () => custom.log.some((l) => l.includes("ignored device status on custom-") && l.includes('"online"')),
      "the default word is logged and ignored there",
    );
    t.equal(custom.online(), false);
  });

  t.test("a stale status counts as unknown: by time of arrival, and by the payload's own timestamp", async (t) => {
    const d = await device(t, broker, { mqtt: { deviceStatus: { topic: `stale-${process.pid}/net`, ttlMs: 1500 } } });
    await until(d.online, "online");
    await until(() => !d.online(), "offline once the status is older than its TTL");
    t.match(d.changes.at(-1), { online: false, reason: "deviceStatus stale" });
    await d.firmwareSays(JSON.stringify({ online: true, timestamp: Date.now() - 60_000 }));
    await sleep(800);
    t.equal(d.online(), false, "a status published a minute ago with a 1.5 s TTL is stale on arrival");
    await d.firmwareSays(JSON.stringify({ online: true, timestamp: Date.now() }));
    await until(d.online, "a fresh timestamp counts");
  });

  t.test("broker killed and restarted while registrations are pending: they fire once, after recovery", async (t) => {
    const d = await device(t, broker);
    await until(d.online, "online");
    await broker.kill();
    await until(() => !d.online(), "offline when the broker dies");
    t.match(d.changes.at(-1), { online: false, reason: /broker bad/ });
    for (const tag of ["a", "b", "c"]) await d.sw.sync.register(tag);
    await sleep(1000);
    t.equal(d.fired(), 0, "nothing fires while the broker is down");
    t.same(
      d.agent.status().map((r) => r.state),
      ["pending", "pending", "pending"],
    );
    const restartedAt = Date.now();
    await broker.restart();
    await until(() => d.fired() === 3, "the three fire after recovery", 30_000);
    const onlineEdge = d.changes.findLast((c) => c.online)!;
    t.ok(onlineEdge.at >= restartedAt, "the online edge came after the restart");
    t.ok(
      d.log.some((l) => /connected to .* after \d+ failed attempt/.test(l)),
      "the link reconnected with back-off",
    );
    await sleep(1000);
    t.same(d.dispatcher.deliveries.map((x) => x.tag).sort(), ["a", "b", "c"], "each fired exactly once");
    t.same(d.agent.status(), [], "and completed");
  });

  t.test("the broker dies during a sync event: the failure that follows costs no attempt, and it fires again after recovery", async (t) => {
    // Chromium counts every dispatched event; a free aborted attempt is the policy's choice.
    const d = await device(t, broker, { handSettled: true, policy: { maxAbortedAttempts: 1 } });
    await until(d.online, "online");
    await d.sw.sync.register("in-flight");
    await until(() => d.fired() === 1, "dispatched");
    await broker.kill();
    await until(() => !d.online(), "offline");
    d.dispatcher.last().settle({ outcome: "failure", reason: "fetch failed" });
    await until(() => d.agent.status()[0]?.state === "pending", "back to pending");
    t.match(d.agent.status(), [{ tag: "in-flight", attempts: 0 }], "aborted: no attempt used");
    await broker.restart();
    await until(() => d.fired() === 2, "fires again once the broker is back", 30_000);
    d.dispatcher.last().settle({ outcome: "success" });
    await until(() => d.agent.status().length === 0, "done");
    t.equal(d.fired(), 2);
  });

  t.test("after a reconnect without a session the statuses are unknown until the retained messages are read again", async (t) => {
    const d = await device(t, broker);
    await until(d.online, "online");
    const evidence: string[] = [];
    const report = d.connectivity.fusion.report.bind(d.connectivity.fusion);
    d.connectivity.fusion.report = (signal, e, detail) => {
      evidence.push(`${signal} ${e}`);
      report(signal, e, detail);
    };
    await broker.kill();
    await broker.restart();
    await until(d.online, "online again");
    const connected = evidence.indexOf("broker good");
    t.ok(connected > 0, "reconnected");
    t.same(evidence.slice(connected - 2, connected), ["deviceStatus unknown", "backendStatus unknown"], "both statuses forgotten at the new session");
    t.ok(evidence.slice(connected).includes("deviceStatus good") && evidence.slice(connected).includes("backendStatus good"), "and read again");
  });

  t.test("with a session kept by the broker, a dropped connection resumes it: no resubscribe, statuses kept", async (t) => {
    const front = await proxy(t, broker.url);
    const d = await device(t, broker, { url: front.url, mqtt: { sessionExpirySeconds: 300 } });
    await until(d.online, "online");
    const evidence: string[] = [];
    const report = d.connectivity.fusion.report.bind(d.connectivity.fusion);
    d.connectivity.fusion.report = (signal, e, detail) => {
      evidence.push(`${signal} ${e}`);
      report(signal, e, detail);
    };
    front.cut();
    await until(() => evidence.includes("broker bad"), "the link noticed");
    await d.firmwareSays(JSON.stringify({ online: true, metered: true }));
    await until(() => evidence.includes("broker good"), "resumed");
    await until(() => d.connectivity.fusion.state.metered, "the status published during the gap arrived from the session");
    t.notOk(evidence.includes("deviceStatus unknown"), "nothing forgotten");
    await until(d.online, "online again after the settle time");
  });

  t.test("backend status offline with the broker up: nothing fires; an older STATE is ignored", async (t) => {
    const d = await device(t, broker);
    await until(d.online, "online");
    const birth = Date.now();
    await d.backendSays(false, birth);
    await until(() => !d.online(), "offline: the backend is not there");
    t.match(d.changes.at(-1), { reason: "backendStatus bad" });
    await d.sw.sync.register("while-backend-down");
    await d.backendSays(true, birth - 1000);
    await sleep(1000);
    t.equal(d.fired(), 0, "nothing fired, and a STATE older than the last seen did not count");
    t.ok(
      d.log.some((l) => /older than the last seen/.test(l)),
      "the stale STATE was logged",
    );
    t.equal(d.connectivity.status().mqtt?.state, "connected", "the broker was up all along");
    await d.backendSays(true, birth + 1);
    await until(() => d.fired() === 1, "fires once the backend is back");
    await sleep(500);
    t.equal(d.fired(), 1);
  });

  t.test("a captive portal: the probe gets 200 and a login page instead of the expected body; nothing fires", async (t) => {
    let portal = true;
    let requests = 0;
    const http: Server = createServer((_req, res) => {
      requests++;
      if (portal) res.writeHead(200, { "content-type": "text/html" }).end("<html><form>Log in to CoffeeWiFi</form></html>");
      else res.writeHead(200).end("OK\n");
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    t.teardown(
      () =>
        new Promise<void>((r) => {
          http.closeAllConnections();
          http.close(() => r());
        }),
    );
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/hotspot.txt`;
    const d = await device(t, broker, { probe: { url, expectedBody: "OK", intervalMs: 60_000, maxIntervalMs: 60_000, minTriggerGapMs: 100 } });
    await until(() => d.connectivity.fusion.evidence("backendStatus") === "good", "MQTT says all is well");
    await d.sw.sync.register("behind-the-portal");
    await sleep(800);
    t.equal(d.fired(), 0, "nothing fires behind the portal");
    t.match(d.connectivity.status(), {
      online: false,
      reason: "probe bad",
      signals: { probe: "bad", broker: "good", deviceStatus: "good", backendStatus: "good" },
    });
    // The user logs in to the portal; the next change of another signal probes at once.
    portal = false;
    const before = requests;
    await d.firmwareSays("offline");
    await d.firmwareSays("online");
    await until(() => requests > before, "a status change probed at once, long before the 60 s interval");
    await until(() => d.fired() === 1, "fires once the probe sees the real backend");
  });

  t.test("flapping every 100 ms for 10 s: no online edge, nothing fires; once it settles, one firing", async (t) => {
    const d = await device(t, broker, { settleMs: 1000 });
    await until(d.online, "online");
    await d.sw.sync.register("first");
    await until(() => d.fired() === 1, "a registration fires while online");
    let reports = 0;
    const report = d.connectivity.fusion.report.bind(d.connectivity.fusion);
    d.connectivity.fusion.report = (signal, e, detail) => {
      if (signal === "deviceStatus") reports++;
      report(signal, e, detail);
    };
    await d.firmwareSays("offline");
    await until(() => !d.online(), "offline");
    const edgesBefore = d.changes.length;
    await d.sw.sync.register("during-flapping");
    for (let i = 0; i < 100; i++) {
      await d.firmwareSays(i % 2 === 0 ? "online" : "offline");
      await sleep(100);
    }
    const flapped = reports;
    t.ok(flapped >= 90, `the flapping reached the fusion (${flapped} status messages)`);
    t.equal(d.changes.length, edgesBefore, "no online edge during 10 s of flapping");
    t.equal(d.fired(), 1, "nothing fired during the flapping");
    await d.firmwareSays("online");
    await until(() => d.fired() === 2, "fires once the status holds");
    await sleep(1500);
    t.equal(d.fired(), 2, "exactly once");
    t.equal(d.changes.length, edgesBefore + 1, "one online edge");
  });

  t.test("presence: retained online while connected, retained offline at a clean close; the summary follows the registrations", async (t) => {
    const d = await device(t, broker);
    const observer = d.client("observer");
    const seen = new Map<string, string>();
    observer.on("message", (topic, payload) => seen.set(topic, payload.toString()));
    await observer.subscribeAsync([d.topics.presence, d.topics.summary], { qos: 1 });
    await until(() => seen.get(d.topics.presence) === "online", "presence online");
    await until(d.online, "online");
    await d.firmwareSays("offline");
    await until(() => !d.online(), "offline");
    await d.sw.sync.register("x");
    await d.sw.sync.register("y");
    await until(() => /"sync":\{"pending":2\}/.test(seen.get(d.topics.summary) ?? ""), "the summary counts two pending");
    t.match(JSON.parse(seen.get(d.topics.summary)!), { online: false, reason: "deviceStatus bad", sync: { pending: 2 }, periodicsync: {}, nextWakeup: null });
    await d.firmwareSays("online");
    await until(() => /"sync":\{\}/.test(seen.get(d.topics.summary) ?? ""), "the summary shows them done");
    t.match(JSON.parse(seen.get(d.topics.summary)!), { online: true });
    await d.connectivity.close();
    await until(() => seen.get(d.topics.presence) === "offline", "presence offline at close");
  });

  t.test("presence: the Last Will says offline when the agent vanishes without a goodbye", async (t) => {
    const front = await proxy(t, broker.url);
    const d = await device(t, broker, { url: front.url, mqtt: { backoff: { initialMs: 60_000, maxMs: 60_000 } } });
    const observer = d.client("observer");
    const seen: string[] = [];
    observer.on("message", (_topic, payload) => seen.push(payload.toString()));
    await observer.subscribeAsync(d.topics.presence, { qos: 1 });
    await until(() => seen.at(-1) === "online", "presence online");
    front.cut();
    await until(() => seen.at(-1) === "offline", "the broker published the Will");
  });
}
