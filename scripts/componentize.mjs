// Wraps the raw core (build/scheduler.wasm) into a WebAssembly Component for the WIT
// interface wasm-core/scheduler.wit, then transpiles it with jco to build/component/ (ESM +
// .d.ts) for Node hosts and the tests. Run after `asc --target release`; no arguments.
//
// The core exports camelCase names (AssemblyScript cannot spell `pkg/iface@ver#kebab-name`),
// so they are renamed here to canonical-ABI names before embedding the WIT and wrapping.
// `fooPost` becomes the post-return of `foo`. The WIT goes in as text (`witSource`): jco
// 1.35's `witPath` cannot read files (see the toolchain notes).

import { readFile, writeFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const corePath = join(root, "build/scheduler.wasm");
const witPath = join(root, "wasm-core/scheduler.wit");
const componentPath = join(root, "build/scheduler.component.wasm");
const jsOutDir = join(root, "build/component");

const WORLD = "scheduler-core";
const IFACE = "syncward:core/scheduler@0.1.0";
const KEEP = new Set(["memory", "cabi_realloc", "_initialize"]);

function fail(message) {
  console.error(`componentize: ${message}`);
  process.exit(1);
}

const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function canonicalName(name) {
  if (KEEP.has(name)) return name;
  if (name.endsWith("Post")) return `cabi_post_${IFACE}#${kebab(name.slice(0, -4))}`;
  return `${IFACE}#${kebab(name)}`;
}

async function readInput(path, hint) {
  try {
    return await readFile(path);
  } catch (error) {
    return fail(`cannot read ${path} (${error.code ?? error.message})${hint ? `: ${hint}` : ""}`);
  }
}

const started = performance.now();

let jco;
try {
  jco = await import("@bytecodealliance/jco");
} catch (error) {
  fail(`cannot load @bytecodealliance/jco (${error.message.split("\n")[0]}): run npm install`);
}
const { print, parse, componentEmbed, componentNew, transpile } = jco;

const core = new Uint8Array(await readInput(corePath, "run npx asc --target release first"));
const witSource = (await readInput(witPath)).toString("utf8");

if (!WebAssembly.validate(core)) fail(`${corePath} is not a valid core module`);
const coreModule = new WebAssembly.Module(core);
const imports = WebAssembly.Module.imports(coreModule);
if (imports.length > 0) {
  fail(`the core must have no imports, has ${imports.map((i) => `${i.module}.${i.name}`).join(", ")} (build with --use abort=)`);
}
const exportNames = WebAssembly.Module.exports(coreModule).map((e) => e.name);
for (const needed of ["memory", "cabi_realloc", "drain", "drainPost"]) {
  if (!exportNames.includes(needed)) fail(`the core does not export ${needed}`);
}

// Rename function exports in the text format, then reassemble. Every function export must be
// matched exactly once, else the WAT printer's format changed under us.
let renamed = 0;
const wat = (await print(core)).replace(/\(export "([A-Za-z_$0-9]+)" \(func/g, (_, name) => {
  renamed++;
  return `(export "${canonicalName(name)}" (func`;
});
const functionExports = WebAssembly.Module.exports(coreModule).filter((e) => e.kind === "function").length;
if (renamed !== functionExports) fail(`renamed ${renamed} of ${functionExports} function exports (unexpected WAT shape)`);

let component;
try {
  const embedded = await componentEmbed({ binary: await parse(wat), witSource, world: WORLD, stringEncoding: "utf8" });
  component = await componentNew(embedded, []);
} catch (error) {
  fail(
    `componentNew failed: ${String(error?.message ?? error)
      .split("\n")
      .join(" | ")}`,
  );
}
await writeFile(componentPath, component);

let files;
try {
  ({ files } = await transpile(component, { name: "scheduler", emitTypescriptDeclarations: true, quiet: true }));
} catch (error) {
  fail(
    `jco transpile failed: ${String(error?.message ?? error)
      .split("\n")
      .join(" | ")}`,
  );
}
await rm(jsOutDir, { recursive: true, force: true });
for (const [name, bytes] of Object.entries(files)) {
  const path = join(jsOutDir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

const ms = Math.round(performance.now() - started);
console.log(
  `componentize: build/scheduler.component.wasm ${component.byteLength} B (core ${core.byteLength} B), ` +
    `${Object.keys(files).length} files in build/component/, ${ms} ms`,
);
