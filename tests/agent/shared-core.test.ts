// Many Agents on one core, as the simulator runs a fleet and a host may run one Agent per
// browser profile: each Agent's decisions reach only that Agent, each is woken at its own
// deadline through the endpoint's one timer, an Agent started later (a reboot) keeps its
// stored times right, and a scope's own reachability works there. Run on the Wasm core and on
// the reference model, which implement the same contract.
import t from "tap";
import { Agent, type AgentServiceWorker } from "../../agent/agent.js";
import type { DomainId } from "../../wasm-core/binding/codes.js";
import { SchedulerEndpoint } from "../../wasm-core/binding/scheduler-endpoint.js";
import { MemoryStore } from "../../agent/memory-store.js";
import { core, SCOPE, type CoreKind } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import { ScriptedDispatcher } from "./scripted-dispatcher.js";

const MINUTE = 60_000;
/** Back-off without jitter or spread, so every retry time can be computed by hand. */
const policy = { initialRetryDelay: 5 * MINUTE, retryDelayFactor: 3, jitter: "none" as const, reconnectSpreadRatio: 0 };

interface Device {
  agent: Agent;
  sw: AgentServiceWorker;
  dispatcher: ScriptedDispatcher;
  store: MemoryStore;
}

async function fleet(kind: CoreKind, size: number) {
  const clock = new ManualClock();
  const endpoint = new SchedulerEndpoint(await core(kind, { policy }), clock);
  const boot = async (store = new MemoryStore(), domain?: DomainId): Promise<Device> => {
    const dispatcher = new ScriptedDispatcher();
    const agent = await Agent.start({
      scheduler: endpoint.port(domain),
      store,
      dispatcher,
      clock,
      log: () => {},
      onProblem: (m) => {
        throw new Error(m);
      },
    });
    // Every device serves the same origin and uses the same tags: only the domain tells them apart.
    const sw = agent.addServiceWorker(SCOPE, { hasWindowClient: () => true });
    agent.setConditions({ online: true });
    return { agent, sw, dispatcher, store };
  };
  const devices: Device[] = [];
  for (let i = 0; i < size; i++) devices.push(await boot());
  return { clock, endpoint, devices, boot };
}

const tags = (d: Device) => d.dispatcher.deliveries.map((x) => `${x.tag}@${x.lastChance ? "last" : "try"}`);

for (const kind of ["wasm", "model"] as const) {
  t.test(`${kind}: decisions reach only their owner, each at its own deadline`, async (t) => {
    const { clock, devices } = await fleet(kind, 3);
    // Device i registers "t" at minute i, its event fails at once: its retry is due at i + 5.
    for (const [i, d] of devices.entries()) {
      await d.sw.sync.register("t");
      await clock.advance(0);
      t.same(tags(d), ["t@try"], `device ${i} fired its own registration`);
      d.dispatcher.last().settle({ outcome: "failure" });
      await clock.advance(0);
      t.equal(d.agent.nextWakeup(), clock.wallOrigin + (i + 5) * MINUTE, `device ${i} wakes at its own retry`);
      await clock.advance(MINUTE);
    }
    t.same(
      devices.map((d) => d.dispatcher.deliveries.length),
      [1, 1, 1],
      "nobody took another's decision",
    );
    t.equal(clock.pending, 1, "three deadlines, one timer");

    await clock.advance(5 * MINUTE - 3 * MINUTE); // now minute 5
    t.same(
      devices.map((d) => d.dispatcher.deliveries.length),
      [2, 1, 1],
      "only device 0's retry came due",
    );
    await clock.advance(MINUTE);
    t.same(
      devices.map((d) => d.dispatcher.deliveries.length),
      [2, 2, 1],
      "then device 1's",
    );
    await clock.advance(MINUTE);
    t.same(
      devices.map((d) => tags(d)),
      [
        ["t@try", "t@try"],
        ["t@try", "t@try"],
        ["t@try", "t@try"],
      ],
      "then device 2's",
    );
    for (const d of devices) d.dispatcher.last().settle({ outcome: "success" });
    await clock.advance(0);
    t.same(await Promise.all(devices.map((d) => d.sw.sync.getTags())), [[], [], []]);
    t.same(
      devices.map((d) => d.agent.nextWakeup()),
      [Infinity, Infinity, Infinity],
    );
  });

  t.test(`${kind}: an Agent started later keeps its stored times right`, async (t) => {
    const { clock, devices, boot } = await fleet(kind, 2);
    const [a, b] = devices as [Device, Device];
    await clock.advance(10 * MINUTE); // the core's time base has moved on
    await b.sw.sync.register("t");
    await clock.advance(0);
    b.dispatcher.last().settle({ outcome: "failure" }); // retry due at minute 15
    await clock.advance(MINUTE);
    await b.agent.close(); // minute 11: the device reboots
    await clock.advance(2 * MINUTE);
    const b2 = await boot(b.store); // minute 13, a new port of a new domain
    t.same(tags(b2), [], "not fired at boot: the back-off still runs");
    await clock.advance(2 * MINUTE - 1);
    t.same(tags(b2), [], "not a millisecond early");
    await clock.advance(1);
    t.same(tags(b2), ["t@try"], "the retry at minute 15, as stored");
    t.same(tags(a), [], "the other device saw nothing");
    t.throws(() => b.agent.setConditions({ online: true }), /closed/, "the closed Agent's port refuses calls");
  });

  t.test(`${kind}: a scope's own reachability on a shared core`, async (t) => {
    const { clock, devices } = await fleet(kind, 2);
    const [a, b] = devices as [Device, Device];
    a.agent.setScopeOnline(SCOPE, false);
    await a.sw.sync.register("a");
    await b.sw.sync.register("b");
    await clock.advance(MINUTE);
    t.same([tags(a), tags(b)], [[], ["b@try"]], "only the device whose scope is reachable fires");
    a.agent.setScopeOnline(SCOPE, true);
    await clock.advance(0);
    t.same(tags(a), ["a@try"], "the held registration fires once its scope is back");
  });
}

t.test("ports: one live port per domain, an unknown domain refused at once, a closed domain taken again", async (t) => {
  const clock = new ManualClock();
  const endpoint = new SchedulerEndpoint(await core("wasm", { policy }), clock);
  const port = endpoint.port();
  t.throws(() => endpoint.port(port.domain), /already has a live port/);
  t.throws(() => endpoint.port(12345 as DomainId), { name: "SchedulerError", code: "UNKNOWN_DOMAIN" });
  const scope = port.createScope();
  port.setConditions({ online: false });
  const id = port.register(scope);
  port.resolved(id);
  t.equal(port.state(id), "pending", "parked while offline");
  port.close();
  t.throws(() => port.register(scope), /closed/, "a closed port refuses calls");
  const again = endpoint.port(port.domain);
  t.equal(again.has(id), false, "closing the port removed its registrations from the core");
  again.setConditions({ online: true });
  t.equal(again.poll(), undefined, "and nothing of the old port fires");
});
