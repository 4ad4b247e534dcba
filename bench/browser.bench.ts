// npm run bench:browser — in real browsers, side by side in one run: the time from "online"
// to the service worker's sync listener starting, and from register() to the listener when
// already online, in WPE WebKit with syncward (the runtime it is for) and in Chromium with
// its native Background Sync (the reference; the goal is within 2× of it). Then the sizes of
// the artefacts next to workbox-background-sync's. Figures are printed, never asserted.
//
// "Online" is what each can observe: in Chromium the end of DevTools' offline emulation; in
// WPE (which cannot emulate offline) the backend's health endpoint answering again, or its
// retained MQTT status saying online. syncward runs with its default settle time (adaptive:
// 250 ms after a clean outage), so the figure is what an app gets out of the box (goal for
// online→listener: ≤ 1.5 s). Then the same in WPE with the device's `syncward agent` deciding
// through the page bridge, "online" being the firmware's device status published on the
// agent's embedded broker (goal: ≤ 1.0× Chromium native), with the agent's adaptive settle
// time and with --settle 0 (a firmware status trusted as already debounced). Times come from one machine clock:
// the worker stamps `performance.timeOrigin + performance.now()` as its listener starts.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { ChromiumSession } from "../tests/browser/harness/chromium-session.js";
import type { BrowserPage } from "../tests/browser/harness/browser-page.js";
import { SyncTestServer } from "../tests/browser/harness/sync-test-server.js";
import { WebKitSession } from "../tests/browser/harness/webkit-session.js";
import { DeviceAgent } from "../tests/browser/harness/device-agent.js";
import { chromiumDevTools } from "./chromium-devtools-run.js";

const RUNS = Number(process.env.SYNCWARD_BENCH_RUNS ?? 15);
const PROBE_MS = 100;
const BACKEND = "spBv1.0/STATE/syncward-bench";
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Samples {
  online: number[];
  register: number[];
}

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}
process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));

function config(mode: "auto" | "force", mqttURL?: string): Record<string, unknown> {
  return {
    mode,
    ...(mqttURL
      ? { mqtt: { url: mqttURL, backendStatus: { topic: BACKEND } } }
      : { probe: { url: "/health", intervalMs: PROBE_MS, maxIntervalMs: PROBE_MS, timeoutMs: 5000 } }),
  };
}

/** The app loaded, its worker active, and (with syncward) its Agent online. */
async function ready(server: SyncTestServer, page: BrowserPage, polyfill: boolean): Promise<void> {
  await page.goto(server.url);
  await page.eval(async () => {
    for (let i = 0; i < 400 && !("syncward" in globalThis); i++) await new Promise((r) => setTimeout(r, 25));
    await navigator.serviceWorker.ready;
  });
  if (polyfill) await agentOnline(server, page, true);
}

function agentOnline(server: SyncTestServer, page: BrowserPage, online: boolean): Promise<true> {
  return server.until(
    `the agent to be ${online ? "online" : "offline"}`,
    async () =>
      (await page.eval(() => (globalThis as unknown as { syncward: { status(): Promise<{ online: boolean }> } }).syncward.status())).online === online,
  );
}

/** register(tag) in the page; resolves with the page's clock just before the call. */
function register(page: BrowserPage, tag: string): Promise<number> {
  return page.eval(async (tag) => {
    const registration = (await navigator.serviceWorker.ready) as unknown as { sync: { register(tag: string): Promise<void> } };
    const t0 = performance.timeOrigin + performance.now();
    await registration.sync.register(tag);
    return t0;
  }, tag);
}

async function listenerStart(server: SyncTestServer, tag: string): Promise<number> {
  const [event] = await server.until(`the sync event for ${tag}`, () => server.syncs(tag).length > 0 && server.syncs(tag));
  return event!.at;
}

/**
 * RUNS × (outage, register while offline, end of outage → listener), then RUNS × (register
 * while online → listener). `outage(down)` makes or ends the outage and resolves once the
 * browser's Background Sync can have seen the outage begin.
 */
async function measure(
  server: SyncTestServer,
  page: BrowserPage,
  name: string,
  outage: (down: boolean) => Promise<void>,
  polyfill: boolean,
  fresh = () => ready(server, page, polyfill),
): Promise<Samples> {
  const samples: Samples = { online: [], register: [] };
  for (let i = 0; i < RUNS; i++) {
    const tag = `test-${name}-online-${i}`;
    // A freshly loaded app each time: one outage after a good link, not a link flapping
    // every few seconds (whose damped settle time would be the figure instead).
    if (i > 0) await fresh();
    await outage(true);
    await register(page, tag);
    const t0 = now();
    await outage(false);
    samples.online.push((await listenerStart(server, tag)) - t0);
  }
  for (let i = 0; i < RUNS; i++) {
    const tag = `test-${name}-register-${i}`;
    const t0 = await register(page, tag);
    samples.register.push((await listenerStart(server, tag)) - t0);
    await sleep(20);
  }
  return samples;
}

async function server(configFor: (mqttURL?: string) => Record<string, unknown>, mqtt = false): Promise<SyncTestServer> {
  const started = await SyncTestServer.start(configFor());
  cleanups.push(() => started.close());
  if (mqtt) {
    started.state.config = configFor(await started.startBroker());
    await started.publishRetained(BACKEND, JSON.stringify({ online: true, timestamp: Date.now() }));
  }
  return started;
}

async function wpe(mqtt: boolean): Promise<Samples> {
  const app = await server((url) => config("auto", url), mqtt);
  const page = await WebKitSession.start("wpe", (close) => cleanups.push(close));
  await ready(app, page, true);
  return measure(
    app,
    page,
    mqtt ? "wpe-mqtt" : "wpe-probe",
    async (down) => {
      if (mqtt) await app.publishRetained(BACKEND, JSON.stringify({ online: !down, timestamp: Date.now() }));
      else app.state.health = down ? 503 : 204;
      if (down) await agentOnline(app, page, false);
    },
    true,
  );
}

/**
 * WPE with the device's `syncward agent` deciding through the page bridge: "online" is the
 * firmware's retained device status on the agent's embedded broker. `settle`: the agent's
 * --settle (undefined: its adaptive default, whose flap damping would count outages seconds
 * apart as flapping, so each run then starts with a restarted agent: one clean outage).
 */
async function wpeBridge(settle: number | undefined): Promise<Samples> {
  const app = await server(() => ({ mode: "auto" }));
  const device = await DeviceAgent.start(app.origin, settle === undefined ? [] : ["--settle", String(settle)]);
  cleanups.push(() => device.close());
  app.state.config = { mode: "auto", bridge: device.bridge };
  const page = await WebKitSession.start("wpe", (close) => cleanups.push(close));
  const bridged = async () => {
    await device.deviceStatus(true);
    await page.goto(app.url);
    await app.until("the device agent to decide, online", async () => {
      const status = await page.eval(async () => {
        for (let i = 0; i < 400 && !("syncward" in globalThis); i++) await new Promise((r) => setTimeout(r, 25));
        await navigator.serviceWorker.ready;
        return (globalThis as unknown as { syncward: { status(): Promise<{ online: boolean; decidedBy: string }> } }).syncward.status();
      });
      return status.decidedBy === "device agent" && status.online;
    });
  };
  await bridged();
  const outage = async (down: boolean) => {
    await device.deviceStatus(!down);
    if (down) await agentOnline(app, page, false);
  };
  const fresh = settle === undefined ? () => device.restart().then(bridged) : bridged;
  return measure(app, page, `wpe-bridge-${settle ?? "adaptive"}`, outage, true, fresh);
}

async function chromiumNative(): Promise<Samples> {
  const app = await server(() => config("auto"));
  const chromium = await ChromiumSession.launch();
  cleanups.push(() => chromium.close());
  const page = await chromium.newPage();
  await ready(app, page, false);
  return measure(app, page, "chromium", (down) => chromium.setOffline(down), false);
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const summary = (xs: number[]) => `${median(xs).toFixed(1)} ms (${sorted(xs)[0]!.toFixed(1)}–${sorted(xs).at(-1)!.toFixed(1)})`;
const row = (label: string, ...cells: string[]) => console.log(label.padEnd(44) + cells.map((c) => c.padEnd(40)).join(""));

async function main(): Promise<void> {
  console.log(`syncward browser benchmark: median (min–max) of ${RUNS} runs each`);
  const native = await chromiumNative();
  const devtools = await chromiumDevTools(RUNS, cleanups);
  const probe = await wpe(false);
  const mqtt = await wpe(true);
  const bridge = await wpeBridge(undefined);
  const bridgeNoSettle = await wpeBridge(0);
  console.log();
  row("", "WPE 2.38 + syncward", "Chromium native");
  row("online → sync listener starts", `${summary(mqtt.online)}`, summary(native.online));
  row("", "  (online = retained MQTT status)", "  (online = setOffline(false))");
  row("", `${summary(probe.online)}`);
  row("", `  (online = /health, probe every ${PROBE_MS} ms)`);
  row("device status online published → listener", summary(bridge.online), summary(native.online));
  row("", "  (WPE + syncward agent, page bridge; adaptive settle)");
  row("", `${summary(bridgeNoSettle.online)}`);
  row("", "  (the same, agent --settle 0)");
  row("register() → sync listener starts (online)", summary(mqtt.register), summary(native.register));
  row("", `${summary(bridge.register)}`);
  row("", "  (through the page bridge)");
  console.log();
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
  console.log(
    `WPE + syncward ÷ Chromium native (goal ≤ 2): online→listener ${ratio(mqtt.online, native.online)} with MQTT, ${ratio(probe.online, native.online)} with the probe; register→listener ${ratio(mqtt.register, native.register)}`,
  );
  console.log(
    `WPE + syncward agent through the bridge ÷ Chromium native (goal ≤ 1.0): device status online→listener ${ratio(bridge.online, native.online)} (adaptive settle), ${ratio(bridgeNoSettle.online, native.online)} (--settle 0); register→listener ${ratio(bridge.register, native.register)}`,
  );

  console.log();
  row("", "Chromium + syncward agent (DevTools)", "Chromium native");
  row("online → sync listener starts", summary(devtools.online), summary(native.online));
  row("", "  (online = device status published)", "  (online = setOffline(false))");
  row("", summary(devtools.agentOnline));
  row("", "  (the Agent's own online, in process)");
  row("register() → sync listener starts (online)", summary(devtools.register), summary(native.register));
  console.log(
    `Chromium over DevTools ÷ Chromium native (goal ≤ 1.0): online→listener ${ratio(devtools.online, native.online)} (${ratio(devtools.agentOnline, native.online)} from the Agent's own online); register→listener ${ratio(devtools.register, native.register)}`,
  );

  console.log();
  const sizes = JSON.parse(readFileSync(new URL("../../../dist/sizes.json", import.meta.url), "utf8")) as Record<string, { raw: number; gzip: number }>;
  console.log("artefact".padEnd(76) + "raw".padStart(10) + "gzip".padStart(10));
  for (const [name, { raw, gzip }] of Object.entries(sizes)) {
    console.log(name.padEnd(76) + `${(raw / 1024).toFixed(1)} KiB`.padStart(10) + `${(gzip / 1024).toFixed(1)} KiB`.padStart(10));
  }
  console.log("(page.js carries the 12 KB Wasm core; mqtt-link.js loads only when MQTT is configured)");
}

try {
  await main();
} finally {
  await cleanUp();
}
