// A second agent, or a second `npm start`, while one runs: one line saying so, a non-zero
// exit, no stack trace, and the running one undisturbed.
import t from "tap";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
