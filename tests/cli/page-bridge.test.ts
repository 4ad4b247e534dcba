// The page bridge of a real `syncward agent`, spoken by a WebSocket client as page.js speaks it:
// a wrong token or origin is refused with one log line; malformed frames are a log line each
// and the connection goes on; a registration handed over is the agent's (listed, fired through
// the connection, its outcome counted); a connection lost mid-event costs nothing and the
// event comes again to the next one; the token file is 0600.
import t from "tap";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, stat, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import WebSocket from "ws";
import { cli, start, type Running } from "./cli-process.js";
import { BRIDGE_PROTOCOL, TOKEN_PREFIX } from "../../agent/bridge-protocol.js";

const ORIGIN = "http://localhost:8080";
const SCOPE = `${ORIGIN}/app/`;

interface Page {
  socket: WebSocket;
  frames: Record<string, unknown>[];
  next(t: string): Promise<Record<string, unknown>>;
  call(call: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** An agent serving ORIGIN's pages over the bridge; `extra(dir)`: its flags beyond those (default: no MQTT). */
async function agentWithBridge(t: { teardown(fn: () => unknown): void }, extra: (dir: string) => Promise<string[]> = async () => ["--no-mqtt"]) {
  const dir = await mkdtemp(join(tmpdir(), "syncward-bridge-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const control = join(dir, "c.sock");
  const args = [
    "--browser-origin",
    ORIGIN,
    "--browser-listen",
    "127.0.0.1:0",
    "--store",
    join(dir, "registrations"),
    "--control",
    control,
    ...(await extra(dir)),
  ];
  let agent = start(args);
  t.teardown(() => agent.child.kill("SIGKILL"));
  const url = async (running: Running) => /page bridge url=(\S+)/.exec(await running.waitFor(/page bridge url=/))![1]!;
  const restart = async () => {
    agent.child.kill("SIGKILL");
    agent = start(args.map((a) => (a === "127.0.0.1:0" ? new URL(bridge).host : a)));
    await url(agent);
    return agent;
  };
  const bridge = await url(agent);
  const token = (await readFile(join(dir, "bridge-token"), "utf8")).trim();
  const list = () =>
    JSON.parse(spawnSync(process.execPath, [cli, "sync", "list", "--json", "--control", control], { encoding: "utf8" }).stdout) as Record<string, unknown>[];
  return { dir, agent: () => agent, restart, bridge, token, list };
}

function connect(url: string, token: string, origin = ORIGIN): Promise<Page> {
  const socket = new WebSocket(url, [BRIDGE_PROTOCOL, TOKEN_PREFIX + token], { origin });
  const frames: Record<string, unknown>[] = [];
  const waiting: { t: string; resolve: (frame: Record<string, unknown>) => void }[] = [];
  let next = 1000;
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    const waiter = waiting.find((w) => w.t === frame.t);
    if (waiter) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve(frame);
    } else frames.push(frame);
  });
  const page: Page = {
    socket,
    frames,
    next: (type) => {
      const at = frames.findIndex((f) => f.t === type);
      if (at >= 0) return Promise.resolve(frames.splice(at, 1)[0]!);
      return new Promise((resolve) => waiting.push({ t: type, resolve }));
    },
    call: async (call) => {
      const id = next++;
      socket.send(JSON.stringify({ t: "call", id, call }));
      for (;;) {
        const answer = await page.next("answer");
        if (answer.id === id) return answer;
      }
    },
  };
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve(page));
    socket.once("unexpected-response", (_request, response) => reject(new Error(`refused: ${response.statusCode}`)));
    socket.once("error", reject);
  });
}

t.test("a wrong token or origin is refused with one line; the token file is the agent user's alone", async (t) => {
  const { agent, bridge, token, dir } = await agentWithBridge(t);
  t.equal((await stat(join(dir, "bridge-token"))).mode & 0o777, 0o600);
  await t.rejects(connect(bridge, "not-the-token-at-all"), /refused: 401/);
  await agent().waitFor(/^syncward: bridge: refused a connection from http:\/\/localhost:8080: wrong or missing token$/);
  await t.rejects(connect(bridge, token, "http://evil.example"), /refused: 403/);
  await agent().waitFor(/^syncward: bridge: refused a connection from http:\/\/evil.example: its origin is not in browser.origins$/);
  await t.rejects(connect(bridge.replace("/syncward/bridge", "/elsewhere"), token), /refused: 404/);
  t.notOk(
    agent().lines.some((l) => l.includes(token)),
    "the token is never logged",
  );
  const page = await connect(bridge, token);
  t.same((await page.call({ op: "getTags", scope: SCOPE, kind: "one-shot" })).value, [], "the right token and origin are let in");
  await agent().waitFor(/ page connected origin=http:\/\/localhost:8080$/);
  page.socket.close();
  await agent().waitFor(/ page disconnected origin=http:\/\/localhost:8080$/);
});

t.test("malformed frames are a log line each, and the connection goes on", async (t) => {
  const { agent, bridge, token } = await agentWithBridge(t);
  const page = await connect(bridge, token);
  const frames: [string | Buffer, RegExp][] = [
    ["{nope", /sent a malformed message \(not JSON\)/],
    ["[1,2]", /\(not a JSON object\)/],
    [JSON.stringify({ t: "call", call: { op: "status" } }), /\(call without a numeric id\)/],
    [JSON.stringify({ t: "call", id: 1, call: { op: "register", kind: "one-shot", tag: "x", minInterval: 0 } }), /\(call "register" has no scope\)/],
    [JSON.stringify({ t: "call", id: 2, call: { op: "register", scope: SCOPE, kind: "both", tag: "x", minInterval: 0 } }), /\(register needs kind and tag\)/],
    [JSON.stringify({ t: "call", id: 3, call: { op: "launch", scope: SCOPE } }), /\(unknown call "launch"\)/],
    [JSON.stringify({ t: "outcome", id: 4, outcome: "maybe" }), /\(unknown outcome "maybe"\)/],
    [JSON.stringify({ t: "outcome", id: 4, outcome: "failure", retryAfterMs: -1 }), /\(outcome retryAfterMs is out of range\)/],
    [JSON.stringify({ t: "hello" }), /\(unknown message type "hello"\)/],
    [Buffer.from([0, 1, 2]), /sent a binary frame; ignored/],
  ];
  for (const [frame, line] of frames) {
    page.socket.send(frame);
    await agent().waitFor(line);
  }
  const other = await page.call({ op: "register", scope: "http://other.example/", kind: "one-shot", tag: "x", minInterval: 0 });
  t.match(other, { ok: false, name: "SecurityError", message: /a page of http:\/\/localhost:8080 named a scope of http:\/\/other.example/ });
  t.match(await page.call({ op: "status" }), { ok: true, value: { online: true, registrations: [] } }, "answers after all of it");
  // Past the largest frame, the connection is closed (1009); the agent goes on.
  const closed = new Promise<number>((resolve) => page.socket.once("close", resolve));
  page.socket.send("x".repeat(5 * 1024 * 1024));
  t.equal(await closed, 1009);
  const again = await connect(bridge, token);
  t.match(await again.call({ op: "status" }), { ok: true });
  t.equal(agent().child.exitCode, null, "the agent runs on");
  again.socket.close();
});

t.test("a bridged page's status() shows the share the agent's admission topic gives", async (t) => {
  const { agent, bridge, token, dir } = await agentWithBridge(t, async (dir) => {
    await writeFile(join(dir, "agent.json"), JSON.stringify({ mqtt: { admission: "backend/admission" } }));
    return ["--config", join(dir, "agent.json"), "--broker-port", "0"];
  });
  const page = await connect(bridge, token);
  const before = (await page.call({ op: "status" })) as { value: { admissionPerDevice?: number | null } };
  t.equal(before.value.admissionPerDevice, null, "none published yet: the policy's own pacing");
  const url = /embedded MQTT broker url=(\S+)/.exec(await agent().waitFor(/embedded MQTT broker url=/))![1]!;
  const [username, password] = (await readFile(join(dir, "broker-credential"), "utf8")).trim().split(":");
  const backend = await mqtt.connectAsync(url, { username, password, reconnectPeriod: 0 });
  t.teardown(() => backend.endAsync(true));
  await backend.publishAsync("backend/admission", JSON.stringify({ rate: 20, devices: 80, timestamp: Date.now() }), { retain: true, qos: 1 });
  for (;;) {
    const { value } = (await page.call({ op: "status" })) as { value: { admissionPerDevice: number | null } };
    if (value.admissionPerDevice !== null) {
      t.equal(value.admissionPerDevice, 0.25, "rate ÷ devices, as the agent follows it");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  page.socket.close();
});

t.test("a registration handed over is the agent's: it fires through the page, and an event lost with the page comes again", async (t) => {
  const { bridge, token, list } = await agentWithBridge(t);
  const page = await connect(bridge, token);
  t.match(await page.call({ op: "register", scope: SCOPE, kind: "one-shot", tag: "outbox", minInterval: 0 }), { ok: true });
  t.match(list(), [{ scope: SCOPE, tag: "outbox", runsIn: "browser (bridge)" }]);
  t.same(page.frames, [], "no event before the page says its register() resolved");
  await page.call({ op: "resolved", scope: SCOPE, kind: "one-shot", tag: "outbox" });
  const fire = await page.next("fire");
  t.match(fire, { scope: SCOPE, type: "sync", tag: "outbox", lastChance: false });

  // The page goes away mid-event (a reload): nothing is counted, and the next page gets it.
  page.socket.close();
  await new Promise((resolve) => page.socket.once("close", resolve));
  for (let i = 0; i < 100 && list()[0]?.runsIn !== "browser (not connected)"; i++) await new Promise((r) => setTimeout(r, 20));
  t.match(list(), [{ tag: "outbox", state: "pending", attempts: 0, runsIn: "browser (not connected)" }]);
  const next = await connect(bridge, token);
  const again = await next.next("fire");
  t.match(again, { scope: SCOPE, tag: "outbox" });
  next.socket.send(JSON.stringify({ t: "outcome", id: again.id, outcome: "failure", reason: "waitUntil rejected" }));
  for (let i = 0; i < 100 && list()[0]?.attempts !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  t.match(list(), [{ tag: "outbox", state: "waiting", attempts: 1, lastFailure: { reason: "waitUntil rejected" } }], "the outcome counted");

  // An event the worker could not take (no active worker): held until the page says it is active.
  t.match(await next.call({ op: "register", scope: SCOPE, kind: "one-shot", tag: "later", minInterval: 0 }), { ok: true });
  await next.call({ op: "resolved", scope: SCOPE, kind: "one-shot", tag: "later" });
  const later = await next.next("fire");
  next.socket.send(JSON.stringify({ t: "outcome", id: later.id, outcome: "undelivered" }));
  await new Promise((r) => setTimeout(r, 300));
  t.same(
    next.frames.filter((f) => f.t === "fire"),
    [],
    "held",
  );
  next.socket.send(JSON.stringify({ t: "active", scope: SCOPE }));
  const released = await next.next("fire");
  t.match(released, { tag: "later" });
  next.socket.send(JSON.stringify({ t: "outcome", id: released.id, outcome: "success" }));
  for (let i = 0; i < 100 && list().some((r) => r.tag === "later"); i++) await new Promise((r) => setTimeout(r, 20));
  t.same(
    list().map((r) => r.tag),
    ["outbox"],
    "later completed",
  );
  next.socket.close();
});

t.test("registrations outlive the agent: killed during an event and restarted, it fires the event again", async (t) => {
  const { bridge, token, list, restart } = await agentWithBridge(t);
  const page = await connect(bridge, token);
  await page.call({ op: "register", scope: SCOPE, kind: "one-shot", tag: "kept", minInterval: 0 });
  await page.call({ op: "resolved", scope: SCOPE, kind: "one-shot", tag: "kept" });
  await page.next("fire");
  const closed = new Promise((resolve) => page.socket.once("close", resolve));
  await restart();
  await closed;
  t.match(list(), [{ scope: SCOPE, tag: "kept", state: "pending", attempts: 0, runsIn: "browser (not connected)" }], "stored, nothing counted");
  const back = await connect(bridge, token);
  const fire = await back.next("fire");
  t.match(fire, { scope: SCOPE, tag: "kept" }, "fired again");
  back.socket.send(JSON.stringify({ t: "outcome", id: fire.id, outcome: "success" }));
  for (let i = 0; i < 100 && list().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(list(), []);
  back.socket.close();
});
