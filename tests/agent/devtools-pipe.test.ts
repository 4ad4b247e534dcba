// DevTools over `--remote-debugging-pipe`'s framing, against a real child process on real
// pipes (fd 3 for commands, fd 4 for answers and events, as Chromium has them): messages end
// at NUL bytes whatever chunks the pipe delivers them in (one cut inside a UTF-8 character,
// several in one chunk), a malformed one is a log line, and the child's exit ends the
// connection, failing the commands it left unanswered.
import t from "tap";
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { DevToolsConnection } from "../../agent/node/devtools-connection.js";
import { DevToolsPipe } from "../../agent/node/devtools-pipe.js";

/**
 * The child: reads NUL-ended commands on fd 3 until it has two, then writes its scripted
 * answer bytes on fd 4 in chunks of the sizes given, a pause between each so that the pipe
 * delivers them apart; exits on a third command.
 */
const CHILD = `
const { createReadStream, createWriteStream } = require("node:fs");
const out = createWriteStream(null, { fd: 4 });
const sizes = JSON.parse(process.argv[1]);
let text = "";
const commands = [];
createReadStream(null, { fd: 3 }).on("data", async (chunk) => {
  text += chunk;
  for (let end = text.indexOf("\\0"); end >= 0; end = text.indexOf("\\0")) {
    commands.push(JSON.parse(text.slice(0, end)));
    text = text.slice(end + 1);
    if (commands.length === 3) process.exit(0);
    if (commands.length !== 2) continue;
    const [one, two] = commands;
    const bytes = Buffer.concat([
      Buffer.from(JSON.stringify({ id: one.id, result: { echo: one.params.text, methods: commands.map((c) => c.method) } }) + "\\0"),
      Buffer.from("not json {\\0"),
      Buffer.from(JSON.stringify({ method: "Test.event", params: { n: 1 }, sessionId: "S" }) + "\\0"),
      Buffer.from(JSON.stringify({ id: two.id, result: { echo: two.params.text } }) + "\\0"),
    ]);
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const size = sizes[i % sizes.length];
      out.write(bytes.subarray(at, at + size));
      at += size;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
});
`;

for (const [name, sizes] of [
  ["a byte at a time (every UTF-8 character cut)", [1]],
  ["odd chunks across message ends", [3, 7, 50, 2]],
  ["all at once", [100_000]],
] as const) {
  t.test(`messages arrive whole and in order: ${name}`, async (t) => {
    const browser = spawn(process.execPath, ["-e", CHILD, JSON.stringify(sizes)], { stdio: ["ignore", "inherit", "inherit", "pipe", "pipe"] });
    t.teardown(() => browser.kill("SIGKILL"));
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const connection = new DevToolsConnection(new DevToolsPipe(browser.stdio[3] as Writable, browser.stdio[4] as Readable, log), log);
    const events: [Record<string, unknown>, string | undefined][] = [];
    connection.on("Test.event", (params, sessionId) => events.push([params, sessionId]));
    // A NUL inside a string travels escaped by JSON, never as a message end.
    const text = "Grüße € 𝄞 \u0000";
    const [one, two] = await Promise.all([connection.send("Test.one", { text }), connection.send("Test.two", { text: "second" })]);
    t.same(one, { echo: text, methods: ["Test.one", "Test.two"] }, "the answer, its multi-byte characters whole; the child read both commands apart");
    t.same(two, { echo: "second" });
    t.same(events, [[{ n: 1 }, "S"]], "the event between them, with its session");
    t.same(lines, ["ignored a DevTools message that is not JSON: not json {"], "the malformed message is one log line");

    // The child exits on the next command: the connection ends and an unanswered command fails.
    const third = connection.send("Test.exit");
    await t.rejects(third, /Test\.exit: the DevTools connection closed/);
    await connection.closed;
    await t.rejects(connection.send("Test.after"), /the DevTools connection is closed/, "no command goes out after");
  });
}
