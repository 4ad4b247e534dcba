// 10,000 fuzzed messages on the control socket: random bytes, random JSON, and valid requests
// mutated. Each invalid one gets one JSON answer {ok: false, error} of one line and reaches
// nothing behind the socket; the socket keeps answering; a valid request still works after.
import t from "tap";
import fc from "fast-check";
import { createConnection } from "node:net";
import { sendControl, type ControlRequest } from "../../agent/node/control-socket.js";
import { recordingControl } from "./recording-control.js";
import { mutatedJson } from "../json-mutations.js";

const MESSAGES = Number(process.env.SYNCWARD_FUZZ_RUNS ?? 10_000);

/** Send raw bytes (a line, or not) and read the whole answer. */
function raw(path: string, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let output = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (chunk) => (output += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(output));
  });
}

const valid: ControlRequest[] = [{ cmd: "status" }, { cmd: "net", set: "online" }, { cmd: "net", set: "offline" }, { cmd: "net", set: "auto" }];
const isValid = (line: string): boolean => {
  try {
    const v = JSON.parse(line) as unknown;
    return (
      valid.some((request) => JSON.stringify(request) === JSON.stringify(v)) || (typeof v === "object" && v !== null && (v as { cmd?: unknown }).cmd === "fire")
    );
  } catch {
    return false;
  }
};

const message = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from(b), Buffer.from("\n")])),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(`${JSON.stringify(v)}\n`)),
  fc
    .constantFrom(...valid)
    .chain((request) => mutatedJson(request as never))
    .map((v) => Buffer.from(`${JSON.stringify(v)}\n`)),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(`${s}\n`)),
);

t.test(`${MESSAGES} fuzzed control messages: one line each, nothing reaches the agent`, async (t) => {
  const { path, handled } = await recordingControl(t, "control-fuzz");
  const samples = fc.sample(message, { numRuns: MESSAGES, seed: 1 });
  let invalid = 0;
  let handledValid = 0;
  for (const bytes of samples) {
    const line = bytes.toString("utf8").split("\n")[0]!;
    const before = handled.length;
    const answer = await raw(path, bytes);
    const lines = answer.trimEnd().split("\n");
    if (lines.length !== 1) throw new Error(`${JSON.stringify(line)}: answered ${lines.length} lines`);
    const parsed = JSON.parse(lines[0]!) as { ok: boolean; error?: string };
    if (isValid(line)) {
      // A mutation that left a valid request (or a fire of some tag): it is served, once.
      if (parsed.ok !== true || handled.length !== before + 1) throw new Error(`${JSON.stringify(line)}: a valid request answered ${lines[0]}`);
      handledValid++;
      continue;
    }
    invalid++;
    if (parsed.ok !== false || typeof parsed.error !== "string" || parsed.error.includes("\n"))
      throw new Error(`${JSON.stringify(line)}: answered ${lines[0]}`);
    if (handled.length !== before) throw new Error(`${JSON.stringify(line)} reached the agent as ${JSON.stringify(handled.at(-1))}`);
  }
  handled.length = 0;
  t.equal(invalid + handledValid, MESSAGES, `all ${MESSAGES} sent: ${handledValid} valid ones served`);
  t.ok(invalid > MESSAGES * 0.9, `${invalid} invalid messages, each refused in one line, none reached the agent`);
  t.same(await sendControl(path, { cmd: "status" }), { online: true }, "and a valid request still works");
  t.same(handled, [{ cmd: "status" }], "only that one was handled");
});
