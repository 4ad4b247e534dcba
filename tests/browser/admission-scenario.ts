// The backend's admission topic in a page (README, "What the backend can take"): over MQTT
// over WebSocket (aedes on the test server) the page's Agent paces its sync events at the
// share the retained payload gives, and a cleared, malformed or stale payload makes it fall
// back to the policy's own pacing (the chromium preset: no reconnect spread, so at once),
// a malformed one with one console line. Native Background Sync knows nothing of MQTT.

import { environment, inPage, type Environment } from "./environment.js";
import type { Scenario } from "./scenario.js";

const ADMISSION_TOPIC = "backend/admission/syncward-test";
/** Requests/s for this device: one event every 500 ms. */
const PER_DEVICE = 2;
const INTERVAL_MS = 1000 / PER_DEVICE;

const admission = (ttlMs = 60_000) => JSON.stringify({ perDevice: PER_DEVICE, timestamp: Date.now(), ttlMs });

/** The share the page's Agent reports, once it is `expected`. */
const untilShare = (env: Environment, what: string, expected: number | null) =>
  env.server.until(what, async () => (await inPage.status(env.app)).admissionPerDevice === expected);

/** Register `tags` at once and wait for their events; the workers' start times, in order. */
async function fire(env: Environment, tags: string[]): Promise<number[]> {
  await Promise.all(tags.map((tag) => inPage.register(env.app, tag)));
  const events = await env.server.until(`the events of ${tags.join(", ")}`, () => {
    const seen = tags.map((tag) => env.server.syncs(tag)[0]);
    return seen.every((event) => event !== undefined) && seen;
  });
  return events.map((event) => event!.at).sort((a, b) => a - b);
}

const gaps = (times: number[]) => times.slice(1).map((at, i) => Math.round(at - times[i]!));

export const admissionScenario: Scenario = {
  name: "MQTT over WebSocket: the backend's admission topic paces the events; cleared, malformed or stale, the policy's own pace",
  modes: ["wpe-polyfill", "webkitgtk-polyfill", "chromium-polyfill"],
  async run(t, mode) {
    const env = await environment(t, mode, { mqtt: { admission: { topic: ADMISSION_TOPIC } } });
    const { app, server } = env;
    t.equal((await inPage.status(app)).admissionPerDevice, null, "no admission published yet: the policy's own pacing");

    await server.publishRetained(ADMISSION_TOPIC, admission());
    await untilShare(env, "the admission to reach the page", PER_DEVICE);
    const paced = gaps(await fire(env, ["test-paced-a", "test-paced-b", "test-paced-c"]));
    t.ok(
      paced.every((gap) => gap >= INTERVAL_MS * 0.8),
      `paced at the share: ${paced.join(" ms, ")} ms apart (one every ${INTERVAL_MS} ms)`,
    );

    await server.publishRetained(ADMISSION_TOPIC, "");
    await untilShare(env, "the cleared admission to reach the page", null);
    const cleared = gaps(await fire(env, ["test-cleared-a", "test-cleared-b", "test-cleared-c"]));
    t.ok(cleared.reduce((a, b) => a + b, 0) < INTERVAL_MS, `cleared: at the policy's pace, all within ${cleared.join(" + ")} ms`);

    await app.eval(() => {
      const warned: string[] = [];
      (globalThis as unknown as { warned: string[] }).warned = warned;
      const warn = console.warn.bind(console);
      console.warn = (...args: unknown[]) => {
        warned.push(args.join(" "));
        warn(...args);
      };
    });
    await server.publishRetained(ADMISSION_TOPIC, admission());
    await untilShare(env, "a fresh admission", PER_DEVICE);
    await server.publishRetained(ADMISSION_TOPIC, '{"perDevice": "lots"}');
    await untilShare(env, "the malformed admission to be refused", null);
    const warned = await app.eval(() => (globalThis as unknown as { warned: string[] }).warned);
    t.match(
      warned,
      [/^syncward: mqtt: ignored admission on backend\/admission\/syncward-test: .*; pacing falls back to the policy$/],
      "one console line for the malformed payload",
    );
    t.equal(warned.length, 1, "and only one");
    t.equal((await inPage.status(app)).online, true, "the page stays up and online");

    await server.publishRetained(ADMISSION_TOPIC, admission(1500));
    await untilShare(env, "a short-lived admission", PER_DEVICE);
    await untilShare(env, "it to go stale", null);
    const stale = gaps(await fire(env, ["test-stale-a", "test-stale-b", "test-stale-c"]));
    t.ok(stale.reduce((a, b) => a + b, 0) < INTERVAL_MS, `stale: at the policy's pace, all within ${stale.join(" + ")} ms`);
  },
};
