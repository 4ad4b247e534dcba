// The device and backend status payloads: every accepted form, every refusal with its reason,
// and arbitrary bytes that never make a parser throw.
import t from "tap";
import fc from "fast-check";
import { MAX_STATUS_PAYLOAD_BYTES, excerpt, parseBackendStatus, parseDeviceStatus } from "../../agent/connectivity/status-payload.js";

const bytes = (s: string) => new TextEncoder().encode(s);

t.test("device status: the words, any case and white space, and configurable words", async (t) => {
  t.same(parseDeviceStatus(bytes("online")), { ok: true, online: true });
  t.same(parseDeviceStatus(bytes("offline")), { ok: true, online: false });
  t.same(parseDeviceStatus(bytes(" ONLINE\n")), { ok: true, online: true });
  t.same(parseDeviceStatus("Offline"), { ok: true, online: false }, "strings too");
  const words = { onlineWord: "up", offlineWord: "down" };
  t.same(parseDeviceStatus(bytes("up"), words), { ok: true, online: true });
  t.same(parseDeviceStatus(bytes("down"), words), { ok: true, online: false });
  t.match(parseDeviceStatus(bytes("online"), words), { ok: false }, "the default words no longer count");
  t.same(parseDeviceStatus(new Uint8Array(0)), { ok: true, online: undefined }, "an empty payload clears the retained status");
});

t.test("device status: JSON with metered, onBattery and timestamp; extra fields ignored; field names configurable", async (t) => {
  t.same(parseDeviceStatus(bytes('{"online": true}')), { ok: true, online: true });
  t.same(parseDeviceStatus(bytes('{"online": false, "metered": true, "onBattery": false, "rssi": -71, "rat": "LTE"}')), {
    ok: true,
    online: false,
    metered: true,
    onBattery: false,
  });
  t.same(parseDeviceStatus(bytes('{"online": true, "timestamp": 1767000000000}')), { ok: true, online: true, timestamp: 1767000000000 });
  t.same(parseDeviceStatus(bytes('{"up": true, "cellular": true, "ts": 5}'), { fields: { online: "up", metered: "cellular", timestamp: "ts" } }), {
    ok: true,
    online: true,
    metered: true,
    timestamp: 5,
  });
});

t.test("device status: refusals name the problem", async (t) => {
  const cases: [string | Uint8Array, RegExp][] = [
    ["onlin", /neither a status word nor valid JSON/],
    ['{"online": "true"}', /"online" must be true or false/],
    ['{"online": 1}', /"online" must be true or false/],
    ['{"online": null}', /"online" must be true or false/],
    ['{"metered": true}', /"online" must be true or false/],
    ['{"online": true, "metered": "no"}', /"metered" must be true or false/],
    ['{"online": true, "onBattery": 0}', /"onBattery" must be true or false/],
    ['{"online": true, "timestamp": -1}', /"timestamp" must be a non-negative number/],
    ['{"online": true, "timestamp": "2026-01-01"}', /"timestamp" must be/],
    ["[true]", /JSON array where an object was expected/],
    ["null", /JSON null where an object was expected/],
    ["true", /JSON boolean where an object was expected/],
    ['"online"', /JSON string where an object was expected/],
    ['{"online": true', /neither a status word nor valid JSON/],
    [new Uint8Array([0x6f, 0xff, 0xfe]), /not UTF-8/],
    [bytes('{"online": true, "pad": "' + "x".repeat(MAX_STATUS_PAYLOAD_BYTES) + '"}'), /payload of \d+ bytes is over 4096/],
    ["   ", /neither a status word nor valid JSON/],
  ];
  for (const [payload, reason] of cases) {
    const parsed = parseDeviceStatus(typeof payload === "string" ? bytes(payload) : payload);
    t.equal(parsed.ok, false, excerpt(payload));
    if (!parsed.ok) t.match(parsed.problem, reason);
  }
});

t.test("backend status: Sparkplug B STATE", async (t) => {
  t.same(parseBackendStatus(bytes('{"online": true, "timestamp": 1767000000000}')), { ok: true, online: true, timestamp: 1767000000000 });
  t.same(parseBackendStatus(bytes('{"online":false,"timestamp":0}')), { ok: true, online: false, timestamp: 0 });
  t.same(parseBackendStatus(new Uint8Array(0)), { ok: true, online: undefined }, "cleared");
  const refused: [string, RegExp][] = [
    ['{"online": true}', /"timestamp" must be/],
    ['{"online": "ONLINE", "timestamp": 1}', /"online" must be true or false/],
    ["ONLINE", /neither a status word nor valid JSON/],
    ['{"online": true, "timestamp": 1e400}', /"timestamp" must be/],
    ['[{"online": true, "timestamp": 1}]', /JSON array/],
  ];
  for (const [payload, reason] of refused) {
    const parsed = parseBackendStatus(bytes(payload));
    t.equal(parsed.ok, false, payload);
    if (!parsed.ok) t.match(parsed.problem, reason);
  }
});

t.test("arbitrary bytes and arbitrary JSON never throw and are either a verdict or a problem", async (t) => {
  let refusedBytes = 0;
  let nonEmpty = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (payload) => {
      const device = parseDeviceStatus(payload);
      const backend = parseBackendStatus(payload);
      if (payload.length > 0) nonEmpty++;
      if (!device.ok) refusedBytes++;
      return (device.ok || typeof device.problem === "string") && (backend.ok || typeof backend.problem === "string");
    }),
    { numRuns: 10_000, seed: 5 },
  );
  t.ok(refusedBytes > nonEmpty * 0.99, `random bytes are refused (${refusedBytes} of ${nonEmpty} non-empty)`);
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const payload = bytes(JSON.stringify(value) ?? "");
      const device = parseDeviceStatus(payload);
      if (device.ok && device.online !== undefined && typeof (value as { online?: unknown })?.online !== "boolean") return false;
      const backend = parseBackendStatus(payload);
      return !backend.ok || backend.online === undefined || typeof (value as { online?: unknown }).online === "boolean";
    }),
    { numRuns: 5_000, seed: 6 },
  );
  t.pass("a verdict only ever comes from a boolean online");
  t.equal(excerpt(new Uint8Array(100).fill(0x41)), JSON.stringify("A".repeat(60)) + "…", "log excerpts are short");
  t.equal(excerpt(new Uint8Array([0, 10, 0x41])), '"..A"', "and printable");
});
