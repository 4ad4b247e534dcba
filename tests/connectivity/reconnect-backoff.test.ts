// The reconnect back-off: the curve itself, and the times at which a real MqttLink attempts to
// reach a broker that drops every connection, on a manual clock.
import t from "tap";
import { createServer, type Socket } from "node:net";
import { Aedes } from "aedes";
import { GRPC_BACKOFF, ReconnectBackoff } from "../../agent/connectivity/reconnect-backoff.js";
import { seededRandom } from "../../agent/connectivity/seeded-random.js";
import { MqttLink } from "../../agent/connectivity/mqtt-link.js";
import { ManualClock } from "../agent/manual-clock.js";
import { until } from "./broker-fixtures.js";

const nominal = (k: number) => Math.min(1000 * 1.6 ** k, 120_000);

t.test("gRPC constants: 1 s ×1.6 ±20 %, at most 120 s, connect timeout at least 20 s; reset starts over", async (t) => {
  t.same(GRPC_BACKOFF, { initialMs: 1000, multiplier: 1.6, jitter: 0.2, maxMs: 120_000, minConnectTimeoutMs: 20_000 });
  const backoff = new ReconnectBackoff({}, seededRandom(1));
  for (let k = 0; k < 30; k++) {
    const { delayMs, connectTimeoutMs } = backoff.next();
    t.ok(delayMs >= 0.8 * nominal(k) && delayMs <= 1.2 * nominal(k), `delay ${k}: ${delayMs.toFixed(0)} ms within ±20 % of ${nominal(k).toFixed(0)}`);
    t.equal(connectTimeoutMs, Math.max(delayMs, 20_000));
  }
  backoff.reset();
  t.ok(backoff.next().delayMs <= 1200, "after reset: the initial delay again");
  t.throws(() => new ReconnectBackoff({ multiplier: 0.5 }), RangeError);
  t.throws(() => new ReconnectBackoff({ jitter: 1 }), RangeError);
  t.throws(() => new ReconnectBackoff({ initialMs: 0 }), RangeError);
  t.throws(() => new ReconnectBackoff({ initialMs: 5000, maxMs: 1000 }), RangeError);
});

t.test("the jitter is uniform over ±20 % and the same seed gives the same curve", async (t) => {
  const ratios: number[] = [];
  for (let seed = 0; seed < 2000; seed++) ratios.push(new ReconnectBackoff({}, seededRandom(seed)).next().delayMs / 1000);
  const below = ratios.filter((r) => r < 1).length;
  t.ok(Math.min(...ratios) >= 0.8 && Math.max(...ratios) <= 1.2);
  t.ok(below > 900 && below < 1100, `half below nominal (${below} of 2000)`);
  const deciles = Array.from({ length: 10 }, (_, i) => ratios.filter((r) => r >= 0.8 + 0.04 * i && r < 0.84 + 0.04 * i).length);
  t.ok(
    deciles.every((n) => n > 150 && n < 250),
    `each tenth of the range holds about 200: ${deciles.join(" ")}`,
  );
  const a = new ReconnectBackoff({}, seededRandom(9));
  const b = new ReconnectBackoff({}, seededRandom(9));
  t.same(
    Array.from({ length: 10 }, () => a.next().delayMs),
    Array.from({ length: 10 }, () => b.next().delayMs),
  );
});

t.test("1,000 agents that lost the broker at the same moment do not come back in the same second", async (t) => {
  // The broker is back after 30 s; each agent reconnects at its first attempt after that.
  const perSecond = new Map<number, number>();
  for (let agent = 0; agent < 1000; agent++) {
    const backoff = new ReconnectBackoff({}, seededRandom(1000 + agent));
    let at = 0;
    do at += backoff.next().delayMs;
    while (at < 30_000);
    const second = Math.floor(at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  const busiest = Math.max(...perSecond.values());
  t.ok(perSecond.size >= 8, `spread over ${perSecond.size} seconds`);
  t.ok(busiest < 300, `at most ${busiest} in one second`);
});

t.test("a real link's attempts follow the curve: spacing from attempt start, reset after a connect", async (t) => {
  // A broker that drops every connection at once, until told to serve.
  const broker = await Aedes.createBroker();
  const clock = new ManualClock();
  const attempts: number[] = [];
  let serve = false;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    attempts.push(clock.monotonic());
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (serve) broker.handle(socket);
    else socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  });
  const port = (server.address() as { port: number }).port;
  const expected = new ReconnectBackoff({}, seededRandom(77));
  const link = new MqttLink({
    url: `mqtt://127.0.0.1:${port}`,
    clock,
    clientId: "curve",
    protocolVersion: 4,
    random: seededRandom(77),
    signals: { report: () => {} },
  });
  t.teardown(() => link.close());

  const next = async () => {
    await until(() => link.state === "waiting", "the attempt failed");
    const before = attempts.length;
    await clock.advance(clock.nextTimerIn()!);
    await until(() => attempts.length > before, "the next attempt reached the broker");
  };
  await until(() => attempts.length === 1, "the first attempt");
  let want = 0;
  const wanted: number[] = [0];
  for (let i = 0; i < 14; i++) {
    want += expected.next().delayMs;
    wanted.push(want);
    await next();
  }
  await until(() => attempts.length === 15, "15 attempts");
  t.same(attempts, wanted, "attempt times are exactly the seeded curve");
  const gaps = attempts.slice(1).map((a, i) => a - attempts[i]!);
  gaps.forEach((gap, k) => t.ok(gap >= 0.8 * nominal(k) - 1e-6 && gap <= 1.2 * nominal(k) + 1e-6, `gap ${k + 1}: ${gap.toFixed(0)} ms`));
  t.equal(link.status().failedAttempts, 15);

  // Serve: the link connects, then the broker drops it; the back-off starts from 1 s again.
  serve = true;
  await next();
  await until(() => link.state === "connected", "connected");
  const connectedAt = clock.monotonic();
  t.equal(link.status().failedAttempts, 0);
  serve = false;
  for (const s of sockets) s.destroy();
  await until(() => link.state === "waiting", "lost");
  expected.next(); // the 15th and 16th attempts drew their delays too
  expected.next();
  expected.reset();
  const first = expected.next().delayMs;
  t.equal(clock.nextTimerIn(), first, `after a loss the first retry waits ${first.toFixed(0)} ms`);
  t.ok(first >= 800 && first <= 1200 && connectedAt > 0);
});
