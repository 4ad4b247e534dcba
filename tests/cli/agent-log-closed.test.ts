// When whoever reads the agent's log goes away (its stdout and stderr pipes close), the agent
// keeps syncing and stays idle: each failed write used to become an uncaught error whose own
// report failed again, and the agent spun a core on that.
import t from "tap";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli-process.js";

/** CPU seconds the process has used (user + system), from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

t.test("closed log pipes: the agent neither dies nor spins", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-log-closed-"));
  const sw = join(dir, "sw.js");
  await writeFile(sw, `setInterval(() => console.log("tick"), 20);`);
  const control = join(dir, "control.sock");
  const child = spawn(
    process.execPath,
    [
      cli,
      "agent",
      "--sw",
      sw,
      "--scope",
      "http://127.0.0.1:9/",
      "--store",
      join(dir, "store"),
      "--control",
      control,
      "--probe",
      "http://127.0.0.1:9/health",
      "--no-mqtt",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  t.teardown(() => child.kill("SIGKILL"));
  await new Promise<void>((resolve) =>
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve();
    }),
  );
  child.stdout!.destroy();
  child.stderr!.destroy();
  await new Promise((r) => setTimeout(r, 500));
  const before = await cpuSeconds(child.pid!);
  await new Promise((r) => setTimeout(r, 2000));
  const used = (await cpuSeconds(child.pid!)) - before;
  t.ok(used < 0.5, `the agent used ${used.toFixed(2)} s of CPU in 2 s with nobody reading its log`);
  const status = spawnSync(process.execPath, [cli, "net", "status", "--control", control], { encoding: "utf8", timeout: 20_000 });
  t.equal(status.status, 0, `and still answers: ${status.stderr}`);
  t.equal(child.exitCode, null, "it is still running");
});
