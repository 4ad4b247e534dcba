// The HTTP reachability probe: the expected status or nothing, a time limit, and a back-off
// between probes while the backend is unreachable.
import t from "tap";
import { createServer } from "node:http";
import { ReachabilityProbe } from "../../agent/reachability-probe.js";
import { systemClock } from "../../agent/clock.js";
import { ManualClock } from "./manual-clock.js";

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
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const probe = new ReachabilityProbe({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, timeoutMs: 200 }, systemClock, () => {});
  const start = Date.now();
  t.equal(await probe.probeNow(), false);
  t.ok(Date.now() - start < 2000, "it did not wait for the socket");
  probe.stop();
});
