// The assembly the page and the device share (signal-sources.ts) and its one rule for the
// required signals (required-signals.ts): a real HTTP backend for the probe, a recording
// stand-in for the MQTT link (the broker scenarios drive the real one).
import t, { type Test } from "tap";
import { createServer } from "node:http";
import { systemClock } from "../../agent/clock.js";
import { SignalSources, type Link } from "../../agent/connectivity/signal-sources.js";
import { configuredSignals, requiredSignals } from "../../agent/connectivity/required-signals.js";
import { until } from "./broker-fixtures.js";

async function backend(t: Test) {
  const state = { status: 503, requests: 0 };
  const server = createServer((_req, res) => {
    state.requests++;
    res.writeHead(state.status).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/health`;
  // Probes only when asked: the interval is far longer than any test.
  return { state, probe: { url, intervalMs: 600_000, maxIntervalMs: 600_000, minTriggerGapMs: 0 } };
}

function recordingLink() {
  const link = {
    reconnects: 0,
    closed: false,
    reconnectNow() {
      link.reconnects++;
    },
    async close() {
      link.closed = true;
    },
  };
  return link satisfies Link;
}

t.test("a change of any signal's evidence makes the probes look at once; the same evidence again does not", async (t) => {
  const { state, probe } = await backend(t);
  let others = 0;
  const sources = new SignalSources({
    clock: systemClock,
    require: ["probe", "broker"],
    settleMs: 0,
    probe,
    onChange: () => {},
    onEvidenceChanged: () => others++,
  });
  t.teardown(() => sources.close());
  await until(() => state.requests === 1, "the first probe");
  sources.signals.report("broker", "good");
  await until(() => state.requests === 2, "a probe triggered by the broker's new evidence");
  t.equal(others, 1, "and the other probes were asked too");
  sources.signals.report("broker", "good");
  await new Promise((r) => setTimeout(r, 200));
  t.equal(state.requests, 2, "no probe for evidence that did not change");
  t.equal(others, 1);
});

t.test("a probe that succeeds cuts the link's reconnect back-off short; a failing one does not", async (t) => {
  const { state, probe } = await backend(t);
  const sources = new SignalSources({ clock: systemClock, require: ["probe"], settleMs: 0, probe, onChange: () => {} });
  t.teardown(() => sources.close());
  const link = recordingLink();
  sources.attachLink(link);
  await until(() => sources.fusion.evidence("probe") === "bad", "the first probe failed");
  t.equal(link.reconnects, 0, "no reconnect on a failed probe");
  state.status = 204;
  sources.triggerProbes();
  await until(() => sources.fusion.state.online, "online once the backend answers");
  t.equal(link.reconnects, 1, "the link was told to reconnect now");
});

t.test("the link going down voids the probe's last word; coming back probes again and reconnects", async (t) => {
  const { state, probe } = await backend(t);
  state.status = 204;
  const sources = new SignalSources({ clock: systemClock, require: ["probe"], settleMs: 0, probe, onChange: () => {} });
  t.teardown(() => sources.close());
  const link = recordingLink();
  sources.attachLink(link);
  await until(() => sources.fusion.state.online, "online");
  const before = state.requests;
  sources.linkChanged(false);
  t.equal(sources.fusion.evidence("probe"), "unknown", "what the probe said of the old link counts for nothing");
  t.equal(sources.fusion.state.online, false, "offline at once");
  t.equal(sources.probe, undefined, "the probe stopped");
  sources.linkChanged(true);
  await until(() => sources.fusion.state.online, "online again after a probe of the new link");
  t.ok(state.requests > before, "a new probe ran");
  t.ok(link.reconnects >= 1, "the link was asked to reconnect at once");
});

t.test("a link attached after close is closed, not kept", async (t) => {
  const sources = new SignalSources({ clock: systemClock, require: [], onChange: () => {} });
  await sources.close();
  const link = recordingLink();
  sources.attachLink(link);
  t.equal(link.closed, true);
});

t.test("the required signals: every configured one by default, a list checked against the configuration", async (t) => {
  t.same(configuredSignals({}), [], "nothing configured");
  t.same(configuredSignals({ probe: {}, mqtt: { deviceStatus: {}, backendStatus: {} } }), ["probe", "broker", "deviceStatus", "backendStatus"]);
  t.same(requiredSignals({ mqtt: { backendStatus: {} } }, undefined), ["broker", "backendStatus"], "default: the broker link and the configured topic");
  t.same(requiredSignals({ probe: {}, mqtt: {} }, ["probe", "probe"]), ["probe"], "a chosen subset, duplicates dropped");
  t.same(requiredSignals({ probe: {} }, []), [], "an empty list: nothing required");
  const refused: [unknown, RegExp][] = [
    ["probe", /must be a list of signal names/],
    [["navigatorOnLine"], /cannot name navigatorOnLine/],
    [["wifi"], /names an unknown signal "wifi"/],
    [["deviceStatus"], /names deviceStatus, which is not configured/],
    [[42], /names an unknown signal 42/],
  ];
  for (const [require, message] of refused) t.throws(() => requiredSignals({ mqtt: {} }, require), { name: "RequireError", message });
});
