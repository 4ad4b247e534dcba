// A control socket served in a temporary directory with a stand-in for the agent that records
// every request reaching it and answers {online: true}; removed when the test ends.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveControl, type ControlRequest } from "../../agent/node/control-socket.js";

export async function recordingControl(t: { teardown(fn: () => unknown): void }, name: string) {
  const dir = await mkdtemp(join(tmpdir(), `syncward-${name}-`));
  const path = join(dir, "agent", "control.sock");
  const handled: ControlRequest[] = [];
  const server = await serveControl(path, (request) => {
    handled.push(request);
    return { online: true };
  });
  t.teardown(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, path, handled };
}
