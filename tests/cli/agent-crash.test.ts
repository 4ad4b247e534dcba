// SIGKILL `syncward agent` itself while its service worker registers as fast as the store
// acknowledges: after every restart, each registration whose register() resolved (the worker
// printed "ACK tag" only then) is held exactly once; at the end, online, each one fires once.
// SYNCWARD_AGENT_KILLS sets the number of kills (default 40: each restart costs a Node start).
import t from "tap";
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, start } from "./cli-process.js";

const KILLS = Number(process.env.SYNCWARD_AGENT_KILLS ?? 40);

// Every start registers a fresh series of tags, one at a time, each awaited.
const registering = `
  const run = Math.random().toString(36).slice(2, 8);
  self.addEventListener("activate", () => {
    (async () => {
      for (let i = 0; ; i++) {
        const tag = "k-" + run + "-" + i;
        await self.registration.sync.register(tag);
        console.log("ACK " + tag);
        // A breath between registrations keeps the backlog (and the final firing) moderate.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  });
`;
const firing = `self.addEventListener("sync", (event) => { console.log("FIRED " + event.tag); });`;

t.test(`${KILLS} SIGKILLs while registering: every acknowledged registration survives once and fires once`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-agent-crash-"));
  const sw = join(dir, "sw.js");
  const control = join(dir, "control.sock");
  const args = (probe: string) => ["--sw", sw, "--scope", "http://127.0.0.1:9/", "--store", join(dir, "state", "store"),
    "--control", control, "--probe", probe, "--no-mqtt", "--settle", "0"];
  const held = (): string[] => {
    const status = spawnSync(process.execPath, [cli, "net", "status", "--control", control], { encoding: "utf8", timeout: 20_000, maxBuffer: 256 * 1024 * 1024 });
    return (JSON.parse(status.stdout) as { registrations: { tag: string }[] }).registrations.map((r) => r.tag);
  };
  const acked = new Set<string>();
  let lost = 0;
  let duplicated = 0;
  await writeFile(sw, registering);
  // The probe's port refuses connections: offline, so registrations wait and only pile up.
  for (let kill = 0; kill <= KILLS; kill++) {
    const agent = start(args("http://127.0.0.1:9/health"));
    t.teardown(() => agent.child.kill("SIGKILL"));
    await agent.waitFor(/syncward agent ready/);
    const tags = held();
    const counts = new Map<string, number>();
    for (const tag of tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    for (const tag of acked) if (!counts.has(tag)) lost++;
    for (const n of counts.values()) if (n > 1) duplicated++;
    if (kill === KILLS) {
      agent.child.kill("SIGKILL");
      await new Promise((r) => agent.child.on("close", r));
      break;
    }
    await agent.waitFor(/^ACK /);
    await new Promise((r) => setTimeout(r, Math.random() * 150));
    agent.child.kill("SIGKILL");
    await new Promise((r) => agent.child.on("close", r));
    // Read only now: an ACK line out before the kill was acknowledged before the kill.
    for (const line of agent.lines) if (line.startsWith("ACK ")) acked.add(line.slice(4));
  }
  t.equal(lost, 0, `no acknowledged registration lost across ${KILLS} kills (${acked.size} acknowledged)`);
  t.equal(duplicated, 0, "none held twice");
  t.ok(acked.size >= KILLS, "the workload registered under every kill");

  const server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  await writeFile(sw, firing);
  const agent = start(args(`http://127.0.0.1:${(server.address() as { port: number }).port}/health`));
  t.teardown(() => agent.child.kill("SIGKILL"));
  const fired = new Map<string, number>();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    fired.clear();
    for (const line of agent.lines) if (line.startsWith("FIRED ")) fired.set(line.slice(6), (fired.get(line.slice(6)) ?? 0) + 1);
    if ([...acked].every((tag) => fired.has(tag))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.same([...acked].filter((tag) => !fired.has(tag)), [], "online, every acknowledged registration fired");
  t.same([...fired].filter(([, n]) => n > 1), [], "each once");
});
