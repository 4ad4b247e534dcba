// The typed Scheduler loads the core from whatever a host has: bytes, a compiled module, or
// a fetch Response (the browser's path), and each instance is independent.
import t from "tap";
import { readFile } from "node:fs/promises";
import { Scheduler } from "../../wasm-core/binding/scheduler.js";
import { coreModule } from "../../wasm-core/binding/core-wasm.js";
import type { DomainId } from "../../wasm-core/binding/codes.js";

const wasmUrl = new URL(import.meta.resolve("syncward/core.wasm"));

async function firesOnce(s: Scheduler) {
  const scope = s.createScope(s.createDomain());
  s.setConditions(0 as DomainId, { online: true }, 0);
  const id = s.register(scope, 0);
  s.resolved(id, 0);
  const first = s.poll();
  return { first, then: s.poll(), id };
}

t.test("from bytes, a compiled module, a Response and a promised Response", async (t) => {
  const bytes = await readFile(wasmUrl);
  const sources = {
    bytes,
    module: await coreModule(),
    response: new Response(bytes, { headers: { "content-type": "application/wasm" } }),
    promisedResponse: Promise.resolve(new Response(bytes)),
  };
  for (const [name, source] of Object.entries(sources)) {
    const s = await Scheduler.instantiate(source, { preset: "kiosk", seed: [1, 2] });
    const { first, then, id } = await firesOnce(s);
    t.same(first, { type: "fire", id, domain: 0, lastChance: false }, `${name}: poll() returns the decision`);
    t.equal(then, undefined, `${name}: then nothing`);
    t.equal(s.policy().maxAttempts, 12, `${name}: options applied`);
  }
});

t.test("instances share nothing", async (t) => {
  const a = await Scheduler.instantiate(await coreModule());
  const b = await Scheduler.instantiate(await coreModule());
  a.createDomain();
  a.setPolicy({ maxAttempts: 9 });
  t.equal(b.policy().maxAttempts, 3);
  t.throws(() => b.createScope(0 as DomainId), { code: "UNKNOWN_DOMAIN" });
  t.throws(() => a.usePreset("turbo" as never), { code: "BAD_POLICY" });
});
