// `syncward sim --json | cat`: the whole report through a real pipe. A process that exits
// before its stdout drains leaves the reader 64 KiB (one pipe buffer); stubbing
// process.stdout.write, as the simulator's own CLI tests do, cannot see that.
import t from "tap";
import { spawn } from "node:child_process";
import { cli } from "./cli-process.js";

t.test("a report far over 64 KiB reaches the end of the pipe whole", async (t) => {
  // Through the shell, as a user types it: `| cat` is a kernel pipe. The socket pair Node
  // gives a child it spawns takes the whole report at once and would not show the cut.
  const command = `"${process.execPath}" "${cli}" sim --devices 20 --duration 1h --seed 7 --json --no-progress | cat`;
  const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
  const chunks: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  t.equal(code, 0, `exit 0 ${stderr}`);
  t.equal(stderr, "", "nothing on stderr");
  const text = Buffer.concat(chunks).toString("utf8");
  t.ok(text.length > 2 * 65536, `the report is ${text.length} bytes, over two pipe buffers`);
  const report = JSON.parse(text) as { policies?: unknown };
  t.ok(Array.isArray(report.policies) && report.policies.length > 0, "it parses, with its policies");
});
