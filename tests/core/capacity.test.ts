// At least 1,048,576 live registrations in one instance, memory grown on demand, and a
// configurable ceiling that answers CAPACITY instead of trapping.
import t from "tap";
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";

t.test("1,048,576 live registrations in one instance", async (t) => {
  const s = await createScheduler();
  const raw = s.raw;
  const domain = s.createDomain();
  const scope = s.createScope(domain);
  const n = 1_048_576;
  const memoryBefore = raw.memory.buffer.byteLength;
  let last = -1;
  for (let i = 0; i < n; i++) {
    last = raw.register(scope, 0, 0, 0, 1);
    if (last < 0) break;
    raw.resolved(last, 1); // offline domain: each one parks
  }
  t.ok(last >= 0, "no registration refused");
  t.equal(s.liveCount, n);
  t.ok(raw.memory.buffer.byteLength > memoryBefore, "memory grew on demand");
  t.ok(s.memoryInUse / n <= 64, `core tables: ${(s.memoryInUse / n).toFixed(1)} bytes per live registration`);
  s.setConditions(domain, { online: true }, 2);
  let fired = 0;
  while (raw.poll() !== 0) fired++;
  t.equal(fired, n, "all of them fire on the online edge");
});

t.test("a ceiling on live registrations answers CAPACITY and keeps working", async (t) => {
  const s = await createScheduler({ policy: { maxRegistrations: 3 } });
  const scope = s.createScope(s.createDomain());
  const ids = [s.register(scope, 0), s.register(scope, 0), s.register(scope, 0)];
  t.throws(() => s.register(scope, 0), { code: "CAPACITY" });
  s.unregister(ids[0]!, 1);
  t.ok(s.register(scope, 1) >= 0, "room again after one left");
});
