// `syncward agent` and MQTT as a user meets them: the embedded broker and the whole loop with
// any MQTT client holding its credential, a taken port, and an external broker (with its own
// credentials from the config) that hears the agent's Last Will.
import t from "tap";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { cli, start } from "./cli-process.js";
import { startAedes, until } from "../connectivity/broker-fixtures.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });

async function worker(dir: string): Promise<string> {
  const sw = join(dir, "sw.js");
  await writeFile(
    sw,
    `
    self.addEventListener("sync", (event) => { console.log("sync listener ran: " + event.tag); });
    self.addEventListener("activate", () => { setTimeout(() => self.registration.sync.register("outbox"), 50); });
  `,
  );
  return sw;
}

t.test("no --mqtt: the embedded broker; flipping the device status with an MQTT client drives the agent", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-embedded-"));
  const control = join(dir, "c.sock");
  const agent = start([
    "--sw",
    await worker(dir),
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "store"),
    "--control",
    control,
    "--broker-port",
    "0",
    "--device-status",
    "kiosk/net",
    "--backend-status",
    "spBv1.0/STATE/backend",
    "--mqtt-client-id",
    "kiosk-1",
    "--settle",
    "300",
    "--log",
    "json",
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  const { url, credential } = JSON.parse(await agent.waitFor(/"event":"embedded MQTT broker"/)) as { url: string; credential: string };
  t.match(url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  const ready = JSON.parse(await agent.waitFor(/"event":"syncward agent ready"/)) as Record<string, unknown>;
  t.match(ready, { require: "broker,deviceStatus,backendStatus", online: false });
  await agent.waitFor(/Registered sync/);

  // As the README tells the firmware: user and password from the credential file.
  const [username, password] = (await readFile(credential, "utf8")).trim().split(":");
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, username, password });
  t.teardown(() => client.endAsync(true));
  const seen = new Map<string, string>();
  client.on("message", (topic, payload) => seen.set(topic, payload.toString()));
  await client.subscribeAsync(["syncward/kiosk-1/presence", "syncward/kiosk-1/summary"]);
  await client.publishAsync("spBv1.0/STATE/backend", JSON.stringify({ online: true, timestamp: Date.now() }), { qos: 1, retain: true });
  await client.publishAsync("kiosk/net", "online", { qos: 1, retain: true });
  await agent.waitFor(/sync listener ran: outbox/);
  t.ok(
    agent.lines.some((l) => /"event":"network","online":true.*"reason":"settled: broker, deviceStatus, backendStatus good"/.test(l)),
    "the online edge says why",
  );
  await until(() => seen.get("syncward/kiosk-1/presence") === "online", "retained presence");

  await client.publishAsync("kiosk/net", JSON.stringify({ online: false, metered: true }), { qos: 1, retain: true });
  await agent.waitFor(/"event":"network","online":false,"metered":true,"onBattery":false,"reason":"deviceStatus bad"/);
  await client.publishAsync("kiosk/net", '{"online": maybe}', { qos: 1, retain: true });
  await agent.waitFor(/ignored device status on kiosk\/net/);
  const status = JSON.parse(run("net", "status", "--control", control).stdout) as Record<string, unknown>;
  t.match(status, {
    online: false,
    reason: "deviceStatus bad",
    signals: { broker: "good", deviceStatus: "bad", backendStatus: "good" },
    mqtt: { clientId: "kiosk-1", state: "connected", protocolVersion: 4 },
  });
  await until(() => /"online":false/.test(seen.get("syncward/kiosk-1/summary") ?? ""), "the summary says offline");

  agent.child.kill("SIGTERM");
  t.equal(await new Promise((r) => agent.child.on("exit", r)), 0, "SIGTERM exits 0, broker and all");
});

t.test("the embedded broker's port is taken: one line naming the way out, exit 1", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-taken-"));
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, "127.0.0.1", r));
  t.teardown(() => squatter.close());
  const port = (squatter.address() as { port: number }).port;
  const r = run(
    "agent",
    "--sw",
    await worker(dir),
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "s"),
    "--control",
    join(dir, "c.sock"),
    "--broker-port",
    String(port),
  );
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is in use .*--mqtt mqtt://127\\.0\\.0\\.1:${port}.*--broker-port`));
  t.equal(r.stderr.trim().split("\n").length, 1, "one line");
});

t.test("--mqtt URL: an external broker; the agent's Last Will says offline when it is killed", async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.stop());
  const dir = await mkdtemp(join(tmpdir(), "syncward-external-"));
  const observer = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...broker.login });
  const passwordFile = join(dir, "password");
  await writeFile(passwordFile, `${broker.login.password}\n`, { mode: 0o600 });
  t.teardown(() => observer.endAsync(true));
  const presence: string[] = [];
  observer.on("message", (_topic, payload) => presence.push(payload.toString()));
  await observer.subscribeAsync("syncward/kiosk-2/presence", { qos: 1 });
  const agent = start([
    "--sw",
    await worker(dir),
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "store"),
    "--control",
    join(dir, "c.sock"),
    "--mqtt",
    broker.url,
    "--mqtt-username",
    broker.login.username!,
    "--mqtt-password-file",
    passwordFile,
    "--mqtt-client-id",
    "kiosk-2",
    "--settle",
    "0",
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await agent.waitFor(/refused MQTT 5; using MQTT 3\.1\.1/);
  await agent.waitFor(/sync listener ran: outbox/);
  t.ok(agent.lines.some((l) => /syncward agent ready .*mqtt=mqtt:\/\/127\.0\.0\.1:\d+ require=broker/.test(l)));
  await until(() => presence.at(-1) === "online", "presence online");
  agent.child.kill("SIGKILL");
  await until(() => presence.at(-1) === "offline", "the broker published the agent's Will");
  t.same(presence, ["online", "offline"]);
});
