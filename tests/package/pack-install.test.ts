// syncward as a package: `npm pack`, then an empty project installs the tarball offline and
// uses it as a user would: `npx syncward`, the typed imports from "syncward" and
// "syncward/core" through the project's tsc, and every published entry point at run time.
// The project's lock pins the runtime dependencies to this repository's lock, so npm takes
// them from its cache (where this repository's own install put them) and needs no network.
import t from "tap";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
// Run npm as a user would, not as a child of `npm test` with its lifecycle variables.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
const npm = (cwd: string, ...args: string[]) => spawnSync("npm", args, { cwd, env, encoding: "utf8", timeout: 120_000 });

interface Packed {
  filename: string;
  files: { path: string }[];
}
interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  bin?: unknown;
  engines?: unknown;
}

/** The consumer's lock: the tarball, and this repository's locked runtime dependencies. */
async function consumerLock(tarball: string): Promise<unknown> {
  const lock = JSON.parse(await readFile(join(repo, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const root = lock.packages[""]!;
  const integrity = `sha512-${createHash("sha512")
    .update(await readFile(tarball))
    .digest("base64")}`;
  const packages: Record<string, unknown> = {
    "": { name: "consumer", dependencies: { syncward: `file:${tarball}` } },
    "node_modules/syncward": {
      version: root.version,
      resolved: `file:${tarball}`,
      integrity,
      license: root.license,
      dependencies: root.dependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== "" && !entry.dev && !entry.devOptional && !entry.link) packages[path] = entry;
  return { name: "consumer", lockfileVersion: 3, requires: true, packages };
}

const USE_TYPES = `import { Agent, FileStore, MemoryStore, createScheduler, singleTenant, SchedulerError, type BackgroundServiceEvent } from "syncward";
import { Scheduler } from "syncward/core";

const scheduler: Scheduler = await createScheduler({ preset: "kiosk", seed: 1 });
const events: BackgroundServiceEvent[] = [];
export const agent: Agent = await Agent.start({
  scheduler: singleTenant(scheduler), store: new MemoryStore(), log: (e) => events.push(e),
  dispatcher: { dispatch: async () => ({ outcome: "success" }) } as never,
});
export const store = new FileStore({ path: "/tmp/never-written" });
export const code: string = new SchedulerError("BAD_POLICY", "createScheduler").code;
// The types are real, not any: each line below must be a type error.
// @ts-expect-error no such preset
await createScheduler({ preset: "turbo" });
// @ts-expect-error register() needs a scope id
scheduler.register();
`;

const USE_AT_RUN_TIME = `import { createScheduler, Agent, FileStore } from "syncward";
import { Scheduler } from "syncward/core";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
const s = await createScheduler({ preset: "chromium", seed: 3 });
const domain = s.createDomain();
const scope = s.createScope(domain);
s.setConditions(domain, { online: true }, 0);
const id = s.register(scope, 0);
s.resolved(id, 0);
const sizes = Object.fromEntries(["syncward/page.js", "syncward/sw.js", "syncward/core.wasm", "syncward/scheduler.wit", "syncward/agent-config.schema.json"]
  .map((name) => [name, statSync(fileURLToPath(import.meta.resolve(name))).size]));
console.log(JSON.stringify({ decisions: [...s.drain()].map((d) => d.type), scheduler: s instanceof Scheduler,
  agent: typeof Agent.start, store: typeof FileStore, sizes }));
`;

t.test("npm pack, install offline into an empty project, use it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-pack-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const pack = npm(repo, "pack", "--ignore-scripts", "--json", "--pack-destination", dir);
  t.equal(pack.status, 0, `npm pack: ${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout) as Packed[];
  const files = packed!.files.map((f) => f.path);
  for (const wanted of [
    "LICENSE",
    "package.json",
    "build/dist/agent/node/index.js",
    "build/dist/agent/node/index.d.ts",
    "build/dist/wasm-core/binding/scheduler.d.ts",
    "build/dist/cli/syncward.js",
    "build/dist/device-sim/cli.js",
    "build/scheduler.wasm",
    "build/agent-config.schema.json",
    "dist/page.js",
    "dist/sw.js",
    "wasm-core/scheduler.wit",
  ]) {
    t.ok(files.includes(wanted), `the tarball holds ${wanted}`);
  }
  t.same(
    files.filter((f) => /^tests\/|\/bench\/|\/harness\/|\.ts$(?<!\.d\.ts)|\.map$/.test(f)),
    [],
    "no tests, benchmarks, test drivers, sources or maps",
  );
  t.match(await readFile(join(repo, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);

  const project = join(dir, "consumer");
  const tarball = join(dir, packed!.filename);
  await mkdir(join(project, "src"), { recursive: true });
  await writeFile(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { syncward: `file:${tarball}` } }),
  );
  await writeFile(join(project, "package-lock.json"), JSON.stringify(await consumerLock(tarball)));
  const install = npm(project, "install", "--offline", "--no-audit", "--no-fund");
  t.equal(install.status, 0, `npm install --offline: ${install.stderr}`);

  const version = spawnSync("npx", ["--offline", "syncward", "--version"], { cwd: project, env, encoding: "utf8", timeout: 60_000 });
  const { version: ours } = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { version: string };
  t.equal(version.stdout, `${ours}\n`, `npx syncward --version ${version.stderr}`);
  const sim = spawnSync("npx", ["--offline", "syncward", "sim", "--devices", "5", "--duration", "10m", "--policies", "kiosk", "--json", "--no-progress"], {
    cwd: project,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  t.equal(sim.status, 0, `npx syncward sim: ${sim.stderr}`);
  t.match(JSON.parse(sim.stdout), { devices: 5, policies: [{ policy: "kiosk" }] }, "the simulator runs from the package");

  await writeFile(join(project, "src", "use-types.ts"), USE_TYPES);
  await writeFile(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2023", "DOM"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        types: ["node"],
        typeRoots: [join(repo, "node_modules", "@types")],
      },
      include: ["src"],
    }),
  );
  let typecheck = "";
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
  } catch (error) {
    typecheck = String((error as { stdout?: string }).stdout);
  }
  t.equal(typecheck, "", "the project's tsc accepts the imports, with real types");

  await writeFile(join(project, "src", "run.mjs"), USE_AT_RUN_TIME);
  const run = spawnSync(process.execPath, [join(project, "src", "run.mjs")], { cwd: project, encoding: "utf8", timeout: 60_000 });
  t.equal(run.status, 0, run.stderr);
  const used = JSON.parse(run.stdout) as { decisions: string[]; scheduler: boolean; agent: string; store: string; sizes: Record<string, number> };
  t.same(used.decisions, ["fire"], "the core from the package fires a registration");
  t.ok(used.scheduler, "createScheduler's Scheduler is syncward/core's");
  t.equal(used.agent, "function");
  t.equal(used.store, "function");
  for (const [name, size] of Object.entries(used.sizes)) t.ok(size > 0, `${name} resolves to a file of ${size} bytes`);
});
