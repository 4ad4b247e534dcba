// The page script's configuration: defaults with nothing set, every field read, and a bad
// field reported in one line and left at its default (a typo must not take the page down).
import t from "tap";
import { readPageConfig } from "../../agent/browser/page-config.js";

const BASE = "https://kiosk.example/app/index.html";
const read = (raw: unknown) => {
  const problems: string[] = [];
  const config = readPageConfig(raw, BASE, (line) => problems.push(line));
  return { config, problems };
};

t.test("nothing set: install where missing or disabled, chromium preset, online unless navigator.onLine says not", async (t) => {
  const { config, problems } = read(undefined);
  t.same(config, {
    mode: "auto",
    preset: "chromium",
    policy: {},
    seed: undefined,
    probe: undefined,
    mqtt: undefined,
    require: [],
    settleMs: undefined,
    log: false,
    permissions: { backgroundSync: true, periodicBackgroundSync: true },
  });
  t.same(problems, []);
});

t.test("every field", async (t) => {
  const { config, problems } = read({
    mode: "force",
    preset: "kiosk",
    policy: { maxAttempts: 5, jitter: "full", reregisterBypassesBackoff: false },
    seed: 7,
    probe: { url: "/health", expectedStatus: 200, intervalMs: 1000 },
    mqtt: { url: "wss://broker.example/mqtt", backendStatus: { topic: "spBv1.0/STATE/b" } },
    settleMs: 2000,
    log: true,
    permissions: { periodicBackgroundSync: "denied" },
  });
  t.same(problems, []);
  t.equal(config.mode, "force");
  t.equal(config.preset, "kiosk");
  t.same(config.policy, { maxAttempts: 5, jitter: "full", reregisterBypassesBackoff: false });
  t.equal(config.seed, 7);
  t.same(config.probe, { url: "https://kiosk.example/health", expectedStatus: 200, intervalMs: 1000 }, "relative URLs resolve against the page");
  t.equal(config.mqtt?.url, "wss://broker.example/mqtt");
  t.same(config.require, ["probe", "broker", "backendStatus"], "every configured signal is required by default");
  t.equal(config.settleMs, 2000);
  t.equal(config.log, true);
  t.same(config.permissions, { backgroundSync: true, periodicBackgroundSync: false }, "an unnamed permission stays granted");
  t.same(read({ probe: "/health", require: ["probe"] }).config.probe, { url: "https://kiosk.example/health" }, "a probe may be just a URL");
  t.same(read({ mqtt: { url: "ws://b/mqtt" }, require: [] }).config.require, [], "require overrides the default");
});

t.test("bad fields: one line each, defaults kept", async (t) => {
  const { config, problems } = read({
    mdoe: "force",
    mode: "always",
    preset: "turbo",
    policy: { maxAttempt: 3, eventTimeout: "soon", jitter: "lots" },
    seed: 1.5,
    probe: { href: "/health" },
    mqtt: { url: "mqtt://broker:1883" },
    require: ["navigatorOnLine"],
    settleMs: -1,
    log: "yes",
    permissions: { periodicBackgroundSync: "prompt" },
  });
  t.same(config, {
    mode: "auto",
    preset: "chromium",
    policy: {},
    seed: undefined,
    probe: undefined,
    mqtt: undefined,
    require: [],
    settleMs: undefined,
    log: false,
    permissions: { backgroundSync: true, periodicBackgroundSync: true },
  });
  t.same(problems, [
    'unknown config field "mdoe"',
    'mode must be "auto" or "force", got "always"',
    'preset must be chromium or kiosk, got "turbo"',
    'unknown policy field "maxAttempt"',
    'policy field eventTimeout has a bad value "soon"',
    'policy field jitter has a bad value "lots"',
    "seed must be an integer, got 1.5",
    "probe must be a URL or { url, expectedStatus?, timeoutMs?, intervalMs?, maxIntervalMs? }",
    "mqtt.url must be ws:// or wss:// in a page, got mqtt:",
    "settleMs must be a non-negative number, got -1",
    'log must be true or false, got "yes"',
    'permissions must be { backgroundSync?: "granted" | "denied", periodicBackgroundSync?: "granted" | "denied" }, got {"periodicBackgroundSync":"prompt"}',
    "require cannot name navigatorOnLine: it is evidence of offline only; requiring every configured signal",
  ]);
  const unconfigured = read({ probe: "/health", require: ["broker"] });
  t.same(
    unconfigured.problems,
    ["require names broker, which is not configured; requiring every configured signal"],
    "a page cannot require a signal it never configured (the device's rule)",
  );
  t.same(unconfigured.config.require, ["probe"]);
  t.same(read("force").problems, ["syncwardConfig must be an object; using the defaults"]);
  t.match(read({ probe: "http://[bad" }).problems, [/a URL in syncwardConfig is not valid/]);
});

t.test("mqtt.admission: a topic or { topic, ttlMs? }, as the device agent takes it; a bad one is one line and off", async (t) => {
  const mqtt = (admission: unknown) => read({ mqtt: { url: "wss://b/mqtt", admission } });
  t.same(mqtt("backend/admission").config.mqtt?.admission, { topic: "backend/admission" }, "just the topic");
  const full = mqtt({ topic: "backend/admission/kiosk-1", ttlMs: 30_000 });
  t.same(full.config.mqtt?.admission, { topic: "backend/admission/kiosk-1", ttlMs: 30_000 });
  t.same(full.problems, []);
  t.same(full.config.require, ["broker"], "the admission topic is no signal: it paces, it does not decide online");
  for (const [bad, problem] of [
    [42, "mqtt.admission must be a topic or { topic, ttlMs? }, got 42"],
    [{ topic: "a", ttl: 5 }, 'mqtt.admission must be a topic or { topic, ttlMs? }, got {"topic":"a","ttl":5}'],
    [{ ttlMs: 5 }, 'mqtt.admission must be a topic or { topic, ttlMs? }, got {"ttlMs":5}'],
    ["", 'mqtt.admission.topic must be one MQTT topic, without the wildcards + and #, got ""'],
    ["backend/+/admission", 'mqtt.admission.topic must be one MQTT topic, without the wildcards + and #, got "backend/+/admission"'],
    [{ topic: "backend/#" }, 'mqtt.admission.topic must be one MQTT topic, without the wildcards + and #, got "backend/#"'],
    [{ topic: "a", ttlMs: 0 }, "mqtt.admission.ttlMs must be a positive number of milliseconds, got 0"],
    [{ topic: "a", ttlMs: "1m" }, 'mqtt.admission.ttlMs must be a positive number of milliseconds, got "1m"'],
  ] as const) {
    const { config, problems } = mqtt(bad);
    t.same(problems, [problem], `refused: ${JSON.stringify(bad)}`);
    t.equal(config.mqtt?.admission, undefined, "no admission: the policy's own pacing");
    t.equal(config.mqtt?.url, "wss://b/mqtt", "the rest of mqtt stays");
  }
});
