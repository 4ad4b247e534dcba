// `npm run build:browser`: the browser polyfill's artefacts in dist/, self-contained (the
// Wasm core is inlined as bytes), minified, for the engines syncward targets (WPE WebKit
// 2.38 ≈ Safari 16, Chromium):
//   dist/page.js          ES module:      <script type="module" src="/syncward/page.js">
//   dist/page.classic.js  classic script: <script src="/syncward/page.classic.js">
//   dist/sw.js            worker script:  importScripts("/syncward/sw.js") or import "/syncward/sw.js"
//                         (it has no imports or exports, so one file is both forms)
//   dist/worker.js        dedicated and shared workers: importScripts("/syncward/worker.js")
//                         or import "/syncward/worker.js" (likewise both forms)
//   dist/devtools-hook.js what `syncward agent` evaluates in a Chromium service worker over the
//                         DevTools protocol (agent/browser/devtools-hook.ts)
//   dist/mqtt-link.js     the MQTT client (ES module) either page script loads only when
//                         MQTT is configured: it weighs several times the rest
// It also bundles workbox-background-sync 7.4.1 the same way, only to measure it, and writes
// every size, raw and gzipped, to dist/sizes.json (npm run bench:browser prints them).
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const target = ["safari16", "chrome100", "firefox115"];
const common = { bundle: true, minify: true, target, platform: "browser", logLevel: "warning", legalComments: "none" };
const pageEntry = (scriptURL) => ({
  contents: [
    'import core from "./build/scheduler.wasm";',
    'import { startPage } from "./agent/browser/page.ts";',
    `export const syncward = startPage(core, new URL("./mqtt-link.js", ${scriptURL}).href);`,
  ].join("\n"),
  resolveDir: root,
  sourcefile: "page-entry.js",
  loader: "js",
});
const wasm = { ".wasm": "binary" };

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await Promise.all([
  build({ ...common, stdin: pageEntry("import.meta.url"), format: "esm", outfile: join(dist, "page.js"), loader: wasm, sourcemap: "linked" }),
  build({
    ...common,
    stdin: pageEntry("document.currentScript.src"),
    format: "iife",
    outfile: join(dist, "page.classic.js"),
    loader: wasm,
    sourcemap: "linked",
  }),
  build({ ...common, entryPoints: [join(root, "agent/connectivity/mqtt-link.ts")], format: "esm", outfile: join(dist, "mqtt-link.js") }),
  build({ ...common, entryPoints: [join(root, "agent/browser/sw.ts")], format: "iife", outfile: join(dist, "sw.js"), sourcemap: "linked" }),
  build({ ...common, entryPoints: [join(root, "agent/browser/worker.ts")], format: "iife", outfile: join(dist, "worker.js"), sourcemap: "linked" }),
  build({ ...common, entryPoints: [join(root, "agent/browser/devtools-hook.ts")], format: "iife", outfile: join(dist, "devtools-hook.js") }),
]);

const workbox = await build({
  ...common,
  stdin: { contents: 'export { Queue, BackgroundSyncPlugin } from "workbox-background-sync";', resolveDir: root, loader: "js" },
  format: "esm",
  write: false,
  define: { "process.env.NODE_ENV": '"production"' },
});

const measure = (bytes) => ({ raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
const sizes = {};
for (const name of readdirSync(dist)
  .filter((n) => n.endsWith(".js"))
  .sort())
  sizes[name] = measure(readFileSync(join(dist, name)));
sizes["workbox-background-sync@7.4.1 (Queue + BackgroundSyncPlugin, minified)"] = measure(workbox.outputFiles[0].contents);
writeFileSync(join(dist, "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
for (const [name, { raw, gzip }] of Object.entries(sizes))
  console.error(`syncward: ${name}  ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzipped`);
