// The control socket lets only the agent's own user in: another local user's process cannot
// connect (the directory is 0700, the socket 0600), so it cannot force the device online.
// Needs root to run a process as another user (CI runs as root); skipped otherwise.
import t from "tap";
import { chmod, stat } from "node:fs/promises";
import { join } from "node:path";
import { sendControl } from "../../agent/node/control-socket.js";
import { recordingControl } from "./recording-control.js";
import { NOBODY, runAs } from "./run-as.js";

const isRoot = process.getuid?.() === 0;

/** Try to connect to `path` as user `uid`; resolves with "connected" or the error code. */
function connectAs(uid: number, path: string): Promise<string> {
  return runAs(
    uid,
    `require("node:net").createConnection(${JSON.stringify(path)})
    .on("connect", () => { console.log("connected"); process.exit(0); })
    .on("error", (e) => { console.log(e.code); process.exit(0); });`,
  );
}

t.test("another user's process cannot reach the control socket", { skip: isRoot ? false : "needs root to run a process as another user" }, async (t) => {
  const { dir, path, handled } = await recordingControl(t, "control-user");
  t.equal((await stat(join(dir, "agent"))).mode & 0o777, 0o700, "its directory is 0700");
  t.equal((await stat(path)).mode & 0o777, 0o600, "the socket 0600");
  // mkdtemp's directory is 0700 too: open it, so that only the agent's own directory stands in the way.
  await chmod(dir, 0o755);
  t.equal(await connectAs(NOBODY, path), "EACCES", "nobody's process is refused");
  t.same(handled, [], "and reached nothing");
  t.same(await sendControl(path, { cmd: "status" }), { online: true }, "the agent's own user gets in");
});
