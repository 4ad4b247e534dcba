// `syncward agent` as a systemd service, without systemd: the directories systemd hands a
// service ($STATE_DIRECTORY, $RUNTIME_DIRECTORY, $CONFIGURATION_DIRECTORY) are where the
// store, the control socket and the default config are, and with NOTIFY_SOCKET set the agent
// notifies readiness, watchdog pings and stopping to a datagram socket this test listens on
// (through python3: Node has no Unix datagram sockets), as systemd would receive them.
import t from "tap";
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli-process.js";

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", " "), flush=True)
`;

t.test("the unit file asks for what the agent does", async (t) => {
  const unit = await readFile(new URL("../../examples/systemd/syncward.service", import.meta.url), "utf8");
  const service = Object.fromEntries(
    unit
      .split("[Service]")[1]!
      .split("[Install]")[0]!
      .split("\n")
      .filter((l) => /^\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  t.match(service, {
    Type: "notify",
    NotifyAccess: "all",
    WatchdogSec: /^\d+$/,
    ExecStart: /syncward agent$/,
    ExecReload: "/bin/kill -HUP $MAINPID",
    StateDirectory: "syncward",
    RuntimeDirectory: "syncward",
    ConfigurationDirectory: "syncward",
  });
});

t.test("systemd's directories and notifications", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-systemd-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [state, runtime, configuration] = ["state", "run", "etc"].map((d) => join(dir, d));
  for (const d of [state, runtime, configuration]) await mkdir(d!, { mode: 0o700 });
  await writeFile(join(dir, "sw.js"), `self.addEventListener("activate", () => { self.registration.sync.register("kept"); });`);
  // The default config, found with neither --config nor --sw; its paths are from its directory.
  await writeFile(
    join(configuration!, "agent.json"),
    JSON.stringify({
      serviceWorkers: [{ script: "../sw.js", scope: "http://127.0.0.1:9/" }],
      mqtt: false,
      // Port 9 refuses: the device stays offline and the registration waits to be listed.
      probe: "http://127.0.0.1:9/health",
    }),
  );

  const socket = join(dir, "notify.sock");
  const receiver = spawn("python3", ["-c", RECEIVER, socket], { stdio: ["ignore", "pipe", "inherit"] });
  t.teardown(() => receiver.kill("SIGKILL"));
  const messages: string[] = [];
  receiver.stdout.setEncoding("utf8").on("data", (chunk: string) => messages.push(...chunk.split("\n").filter((l) => l !== "")));
  const until = async (what: string, test: () => boolean) => {
    for (const deadline = Date.now() + 15_000; !test(); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got: ${messages.join(" / ")}`);
    }
  };
  await until("the receiver", () => messages.includes("listening"));

  const env = {
    ...process.env,
    NOTIFY_SOCKET: socket,
    WATCHDOG_USEC: "600000",
    STATE_DIRECTORY: state,
    RUNTIME_DIRECTORY: runtime,
    CONFIGURATION_DIRECTORY: configuration,
  };
  const agent = spawn(process.execPath, [cli, "agent"], { env, stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => agent.kill("SIGKILL"));
  let output = "";
  agent.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
  agent.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));

  await until("READY=1", () => messages.some((m) => m.includes("READY=1")));
  const ready = messages.find((m) => m.includes("READY=1"))!;
  t.match(ready, new RegExp(`MAINPID=${agent.pid}\\b`), "sent for the agent's PID");
  t.match(ready, /STATUS=online=false reason=probe (unknown|bad)/, "with a status line");
  t.match(output, /syncward agent ready/, "after the agent said it was ready");
  await until("two watchdog pings", () => messages.filter((m) => m.includes("WATCHDOG=1")).length >= 2);
  t.pass("watchdog pings at half of WatchdogSec");

  await until("the registration", () => /Registered sync {2}tag=kept/.test(output));
  t.ok((await stat(join(runtime!, "control.sock"))).isSocket(), "the control socket is in $RUNTIME_DIRECTORY");
  const listed = spawnSync(process.execPath, [cli, "sync", "list", "--json"], { env, encoding: "utf8", timeout: 20_000 });
  t.equal(listed.status, 0, `a client with the same environment finds it: ${listed.stderr}`);
  t.match(JSON.parse(listed.stdout), [{ tag: "kept" }], "the default config's worker runs");
  t.ok((await stat(join(state!, "registrations.log"))).isFile(), "the store is in $STATE_DIRECTORY");

  // systemctl reload: SIGHUP, and the default config read again from $CONFIGURATION_DIRECTORY.
  await writeFile(
    join(configuration!, "agent.json"),
    JSON.stringify({
      serviceWorkers: [{ script: "../sw.js", scope: "http://127.0.0.1:9/" }],
      mqtt: false,
      probe: "http://127.0.0.1:9/other-health",
    }),
  );
  agent.kill("SIGHUP");
  await until("the reload", () => /config reloaded/.test(output));
  const after = spawnSync(process.execPath, [cli, "sync", "list", "--json"], { env, encoding: "utf8", timeout: 20_000 });
  t.match(JSON.parse(after.stdout), [{ tag: "kept" }], "reloaded: the registration is still there");

  agent.kill("SIGTERM");
  t.equal(await new Promise((resolve) => agent.on("exit", resolve)), 0, "SIGTERM: exit 0");
  await until("STOPPING=1", () => messages.some((m) => m.includes("STOPPING=1")));
  t.notMatch(output, /cannot notify systemd/, "every notification went through");
});
