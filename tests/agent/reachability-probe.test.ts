// The HTTP reachability probe: the expected status or nothing, a time limit, and a back-off
// between probes while the backend is unreachable.
import t from "tap";
import { createServer } from "node:http";
import { ReachabilityProbe } from "../../agent/reachability-probe.js";
import { systemClock } from "../../agent/clock.js";
import { ManualClock } from "./manual-clock.js";
import { until } from "../connectivity/broker-fixtures.js";

t.test("expected status only; back-off 1 s, 2 s, 4 s … capped while failing; the interval once reachable", async (t) => {
  let status = 503;
  const server = createServer((_req, res) => res.writeHead(status).end(status === 200 ? "<html>portal login</html>" : ""));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/health`;
  const clock = new ManualClock();
  const verdicts: boolean[] = [];
  const probe = new ReachabilityProbe({ url, intervalMs: 30_000, maxIntervalMs: 5000 }, clock, (v) => verdicts.push(v));
  const waits: (number | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    t.equal(await probe.probeNow(), false);
    waits.push(clock.nextTimerIn());
  }
  t.same(waits, [1000, 2000, 4000, 5000, 5000], "exponential, capped at maxIntervalMs");
  status = 200;
  t.equal(await probe.probeNow(), false, "a captive portal's 200 is not the expected 204");
  status = 204;
  t.equal(await probe.probeNow(), true);
  t.equal(clock.nextTimerIn(), 30_000, "back to the normal interval");
  t.same(verdicts, [false, true], "reported only on change");
  probe.stop();
  t.equal(clock.nextTimerIn(), undefined, "stop() cancels the schedule");
});

t.test("a backend that never answers is unreachable after the time limit", async (t) => {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const probe = new ReachabilityProbe({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, timeoutMs: 200 }, systemClock, () => {});
  const start = Date.now();
  t.equal(await probe.probeNow(), false);
  t.ok(Date.now() - start < 2000, "it did not wait for the socket");
  probe.stop();
});

t.test("captive-portal check: the expected body, not just a 200; a huge body is not it", async (t) => {
  let body = "<html><form>Log in</form></html>";
  const server = createServer((_req, res) => res.writeHead(200).end(body));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const probe = new ReachabilityProbe(
    { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hotspot.txt`, expectedBody: "OK" },
    new ManualClock(),
    () => {},
  );
  t.equal(await probe.probeNow(), false, "a portal's login page");
  body = "OK\n";
  t.equal(await probe.probeNow(), true, "the expected body, surrounding white space aside");
  body = "OK" + " ".repeat(70_000);
  t.equal(await probe.probeNow(), false, "a body past 64 KiB is not read to the end");
  probe.stop();
});

t.test("trigger(): at once, but at most once per minTriggerGapMs, and never two probes in flight", async (t) => {
  let requests = 0;
  let release: (() => void) | undefined;
  const server = createServer((_req, res) => {
    requests++;
    release = () => res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const clock = new ManualClock();
  const probe = new ReachabilityProbe(
    { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, intervalMs: 60_000, minTriggerGapMs: 1000 },
    clock,
    () => {},
  );
  const first = probe.probeNow();
  for (let i = 0; i < 50; i++) probe.trigger();
  await until(() => requests === 1, "the first probe");
  release!();
  t.equal(await first, true);
  t.equal(requests, 1, "50 triggers while a probe ran: none ran alongside it");
  t.equal(clock.nextTimerIn(), 1000, "one follow-up, a gap after the last start");
  await clock.advance(1000);
  await until(() => requests === 2, "the follow-up");
  release!();
  await until(() => clock.nextTimerIn() === 60_000, "back to the interval");
  for (let i = 0; i < 50; i++) probe.trigger();
  t.equal(clock.nextTimerIn(), 1000, "triggers within the gap wait for it");
  await clock.advance(1000);
  await until(() => requests === 3, "the triggered probe");
  release!();
  t.equal(requests, 3, "a storm of triggers cost one probe per gap");
  probe.stop();
});
