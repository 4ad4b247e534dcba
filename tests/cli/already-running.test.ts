// A second agent, or a second `npm start`, while one runs: one line saying so, a non-zero
// exit, no stack trace, and the running one undisturbed. A lock a killed agent left is no
// obstacle.
import t from "tap";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { lockStore } from "../../agent/node/store-lock.js";
import { cli, start } from "./cli-process.js";

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });

t.test("a second agent on the same control socket refuses to start", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-second-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sw = join(dir, "sw.js");
  await writeFile(sw, `self.addEventListener("sync", () => {});`);
  const control = join(dir, "c.sock");
  const args = ["--sw", sw, "--scope", "http://127.0.0.1:9/", "--store", join(dir, "store"), "--control", control, "--no-mqtt"];
  const first = start(args);
  t.teardown(() => first.child.kill("SIGKILL"));
  await first.waitFor(/syncward agent ready/);

  const second = run("agent", ...args);
  t.equal(second.status, 1, "exit 1");
  t.equal(
    second.stderr,
    `syncward: an agent is already running with the control socket ${control}; stop it first, or give this one its own --control and --store\n`,
  );
  t.equal(second.stdout, "", "it started nothing");
  const status = run("net", "status", "--control", control);
  t.equal(status.status, 0, `the first still answers: ${status.stderr}`);
  t.match(JSON.parse(status.stdout), { registrations: [] });
});

t.test("a second agent on its own control socket but the same store refuses to start", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-store-lock-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sw = join(dir, "sw.js");
  await writeFile(sw, `self.addEventListener("sync", () => {});`);
  const store = join(dir, "store");
  const args = (control: string) => ["--sw", sw, "--scope", "http://127.0.0.1:9/", "--store", store, "--control", join(dir, control), "--no-mqtt"];
  const first = start(args("first.sock"));
  t.teardown(() => first.child.kill("SIGKILL"));
  await first.waitFor(/syncward agent ready/);
  const lock = await readFile(`${store}.lock`, "utf8");
  t.match(lock, new RegExp(`^${first.child.pid} \\d+\\n$`), "the lock names the first agent and its start time");

  const second = run("agent", ...args("second.sock"));
  t.equal(second.status, 1, "exit 1");
  t.equal(second.stderr, `syncward: the store ${store} is in use by another agent (pid ${first.child.pid}); stop it first, or give this one its own --store\n`);
  t.equal(second.stdout, "", "it started nothing");
  t.equal(await readFile(`${store}.lock`, "utf8"), lock, "the first agent's lock stays");

  // Killed, the first leaves its lock behind; the next agent takes it over.
  first.child.kill("SIGKILL");
  await new Promise((resolve) => first.child.once("exit", resolve));
  const third = start(args("third.sock"));
  t.teardown(() => third.child.kill("SIGKILL"));
  await third.waitFor(/syncward agent ready/);
  const taken = await readFile(`${store}.lock`, "utf8");
  t.match(taken, new RegExp(`^${third.child.pid} `), "taken over from the killed agent");
  t.not(taken.split(" ")[1], lock.split(" ")[1], "each lock holds its process's own start time");
  third.child.kill("SIGTERM");
  await new Promise((resolve) => third.child.once("exit", resolve));
  await t.rejects(readFile(`${store}.lock`), { code: "ENOENT" }, "a clean stop removes the lock");
});

t.test("a lock whose pid now belongs to another process, or a torn one, is stale", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-store-lock-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = join(dir, "store");
  // This test's own process is alive, but started at another time than the lock says: its pid
  // was reused after a reboot. Then a lock torn by a power cut.
  for (const stale of [`${process.pid} 1\n`, "12"]) {
    await writeFile(`${store}.lock`, stale);
    const lock = await lockStore(store);
    t.match(await readFile(lock.path, "utf8"), new RegExp(`^${process.pid} \\d+\\n$`), `taken over from ${JSON.stringify(stale)}`);
    await lock.release();
  }
  // A live pid whose start time the lock does not know (written off Linux): taken as held.
  await writeFile(`${store}.lock`, `${process.ppid} -\n`);
  await t.rejects(lockStore(store), {
    message: `the store ${store} is in use by another agent (pid ${process.ppid}); stop it first, or give this one its own --store`,
  });
});

t.test("a second npm start: one line about the port in use, exit 1", async (t) => {
  // The example backend's port, held here as a first `npm start` would hold it (if something
  // already holds it, the port is in use all the same).
  const holder = createServer();
  await new Promise<void>((resolve, reject) => {
    holder.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve() : reject(error)));
    holder.listen(8787, "127.0.0.1", resolve);
  });
  t.teardown(() => holder.close());
  const startScript = fileURLToPath(new URL("../../examples/start.mjs", import.meta.url));
  const r = spawnSync(process.execPath, [startScript], { encoding: "utf8", timeout: 20_000 });
  t.equal(r.status, 1, "exit 1");
  t.equal(r.stderr, "npm start: the example backend's address 127.0.0.1:8787 is in use (is npm start already running?)\n", "one line, no stack");
  t.equal(r.stdout, "", "no agent started");
});
