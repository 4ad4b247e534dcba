// Service workers that never return, in the host: a top level in `while (true) {}` is bounded
// by the start limit, and an activate listener in one by the activate limit; the stuck thread
// is terminated, and the worker's next event starts it again. (A stuck sync listener and a
// stuck install, with a real agent process: tests/cli/stuck-worker.test.ts.)
import t from "tap";
import { until, world } from "./service-worker-world.js";

const CLIENT = { id: "tab", url: "http://localhost:8080/" };

t.test("a top level that never returns: load() fails at the start limit, nothing is served, the next worker loads", async (t) => {
  // The limit covers the thread's start as well, which takes seconds on a busy machine under the tests' TypeScript loader.
  const w = await world(t, { clients: [CLIENT], limits: { startMs: 8000 } });
  const began = Date.now();
  await t.rejects(w.load(`while (true) {}`), /the script's top level ran past its limit of 8000 ms/);
  t.ok(Date.now() - began >= 8000, "not before the limit");
  t.same(w.agent.status(), []);
  const sw = await w.load(`self.addEventListener("sync", () => {});`);
  await sw.registration.sync.register("fine");
  await until(() => w.named("sync event completed", "fine").length === 1, "the other worker's event");
});

t.test("an activate listener that never returns: logged, the worker is active, and its next event runs in a new thread", async (t) => {
  // The event's limit counts from its dispatch, so it covers the thread's new start (a second under the tests' loader).
  const w = await world(t, { clients: [CLIENT], limits: { activateMs: 500, unresponsiveMs: 200 }, policy: { eventTimeout: 10_000, lastChanceEventTimeout: 10_000 } });
  const sw = await w.load(`
    self.thread = Math.random();
    self.addEventListener("activate", () => { while (true) {} });
    self.addEventListener("sync", (event) => { self.synced = event.tag; });
  `);
  t.ok(w.lines.includes("http://localhost:8080/: the activate event ran past its limit of 500 ms"), w.lines.join("\n"));
  await until(() => w.lines.some((l) => l.includes("did not answer for 200 ms: terminated")), "the stuck thread's end");
  await sw.registration.sync.register("after");
  await until(() => w.named("sync event completed", "after").length === 1, "the event on the restarted worker");
  t.equal(await sw.evaluate("self.synced"), "after", "the new thread ran the listener");
  t.equal(w.named("sync event failed").length, 0);
});
