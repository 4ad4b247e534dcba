// The embedded broker lets in only clients that present the credential the agent generated:
// a real `syncward agent`, real MQTT clients. The credential file is the agent user's alone
// (0600), the same across restarts, and another local user's process cannot read it.
import t, { type Test } from "tap";
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { cli, start, type Running } from "./cli-process.js";
import { NOBODY, runAs } from "./run-as.js";

const isRoot = process.getuid?.() === 0;

async function worker(dir: string): Promise<string> {
  const sw = join(dir, "sw.js");
  await writeFile(sw, `self.addEventListener("sync", () => {});`);
  return sw;
}

/** An agent with its embedded broker on a free port; resolves with its URL and credential file. */
async function agentIn(t: Test, dir: string, extra: string[] = []): Promise<{ agent: Running; url: string; credential: string }> {
  const agent = start([
    "--sw",
    join(dir, "sw.js"),
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(dir, "store"),
    "--control",
    join(dir, "c.sock"),
    "--broker-port",
    "0",
    "--settle",
    "0",
    "--log",
    "json",
    ...extra,
  ]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  const line = JSON.parse(await agent.waitFor(/"event":"embedded MQTT broker"/)) as { url: string; credential: string };
  await agent.waitFor(/"event":"syncward agent ready"/);
  return { agent, url: line.url, credential: line.credential };
}

/** Connect once and say how it went: "connected" or the CONNACK return code. */
async function tryConnect(url: string, login: { username?: string; password?: string }): Promise<string | number> {
  try {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...login });
    await client.endAsync();
    return "connected";
  } catch (error) {
    return (error as { code?: number }).code ?? (error as Error).message;
  }
}

const stopped = (agent: Running) => new Promise((r) => agent.child.on("exit", r));

t.test("only the generated credential gets in; the file is 0600 and the same after a restart", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-credential-"));
  await worker(dir);
  const first = await agentIn(t, dir);
  t.equal(first.credential, join(dir, "broker-credential"), "beside the store by default");
  t.equal((await stat(first.credential)).mode & 0o777, 0o600, "readable by the agent's user only");
  const text = await readFile(first.credential, "utf8");
  t.match(text, /^syncward:[A-Za-z0-9_-]{43}\n$/, "one line, user:password, 32 random bytes");
  const [username, password] = text.trim().split(":") as [string, string];

  t.equal(await tryConnect(first.url, {}), 5, "an anonymous client: not authorized");
  t.equal(await tryConnect(first.url, { username, password: `${password}x` }), 5, "a wrong password: not authorized");
  t.equal(await tryConnect(first.url, { username: "admin", password }), 5, "a wrong user name: not authorized");
  t.equal(await tryConnect(first.url, { username, password }), "connected", "the credential gets in");
  const status = JSON.parse(spawnSync(process.execPath, [cli, "net", "status", "--control", join(dir, "c.sock")], { encoding: "utf8" }).stdout) as {
    signals: Record<string, string>;
  };
  t.equal(status.signals.broker, "good", "the agent's own client got in");

  first.agent.child.kill("SIGTERM");
  t.equal(await stopped(first.agent), 0);
  const second = await agentIn(t, dir);
  t.equal(await readFile(second.credential, "utf8"), text, "reused on the next start");
  t.equal(await tryConnect(second.url, { username, password }), "connected", "so local clients keep working");

  // Another agent (or any client) given the file's path instead of the password.
  const other = await mkdtemp(join(tmpdir(), "syncward-credential-client-"));
  await worker(other);
  const client = start([
    "--sw",
    join(other, "sw.js"),
    "--scope",
    "http://127.0.0.1:9/",
    "--store",
    join(other, "store"),
    "--control",
    join(other, "c.sock"),
    "--mqtt",
    second.url,
    "--mqtt-credential-file",
    second.credential,
    "--settle",
    "0",
  ]);
  t.teardown(() => client.child.kill("SIGKILL"));
  await client.waitFor(/network online=true .*settled: broker good/);
});

t.test("a credential file others can read, or not the agent's own, is refused with one line", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-credential-bad-"));
  const sw = await worker(dir);
  const file = join(dir, "broker-credential");
  const run = () =>
    spawnSync(
      process.execPath,
      [cli, "agent", "--sw", sw, "--scope", "http://127.0.0.1:9/", "--store", join(dir, "store"), "--control", join(dir, "c.sock"), "--broker-port", "0"],
      { encoding: "utf8", timeout: 20_000 },
    );
  await writeFile(file, "syncward:guessable\n", { mode: 0o644 });
  await chmod(file, 0o644);
  let r = run();
  t.equal(r.status, 2);
  t.match(r.stderr, /broker-credential is readable by others \(mode 644\); chmod 600 it/);
  t.equal(r.stderr.trim().split("\n").length, 1, "one line");
  await chmod(file, 0o600);
  await writeFile(file, "no colon here\n");
  r = run();
  t.equal(r.status, 2);
  t.match(r.stderr, /is not a broker credential \(one line, username:password\)/);
  t.equal(r.stderr.trim().split("\n").length, 1, "one line");
  r = spawnSync(process.execPath, [cli, "agent", "--sw", sw, "--scope", "http://127.0.0.1:9/", "--mqtt-username", "u"], { encoding: "utf8" });
  t.equal(r.status, 2);
  t.match(r.stderr, /mqtt.username is for a broker given by mqtt.url; the embedded broker's credential is generated into mqtt.credentialFile/);
});

/** Read `path` as user `uid`; resolves with "read" or the error code. */
const readAs = (uid: number, path: string) => runAs(uid, `require("node:fs").readFile(${JSON.stringify(path)}, (e) => console.log(e ? e.code : "read"));`);

t.test("another user's process cannot read the credential", { skip: isRoot ? false : "needs root to run a process as another user" }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-credential-user-"));
  await worker(dir);
  const { credential } = await agentIn(t, dir);
  // mkdtemp's directory is 0700: open it, so that only the file's own mode stands in the way.
  await chmod(dir, 0o755);
  t.equal(await readAs(NOBODY, credential), "EACCES", "nobody's process is refused");
  t.equal(await readAs(process.getuid!(), credential), "read", "the agent's own user reads it");
});
