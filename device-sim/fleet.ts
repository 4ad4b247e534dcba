// One shard of a run: devices [first, first + count) of the scenario's fleet, every policy
// side by side on the same world, on one event queue. It returns a ShardResult, which the
// merge adds up with the other shards' into the report.

import { coreModule } from "../wasm-core/binding/core-wasm.js";
import { Scheduler } from "../wasm-core/binding/scheduler.js";
import { AgentDevice, type AgentFleet } from "./agent-device.js";
import { AdmissionPublisher } from "./admission-publisher.js";
import { Backend } from "./backend.js";
import { EventQueue } from "./event-queue.js";
import { PolicyMetrics, type PolicyMetricsJson } from "./metrics.js";
import { simPolicy } from "./policies.js";
import { Rng, streamKey } from "./rng.js";
import { policyNames, scenarioToJson, type OutageKind, type PolicyName, type Scenario } from "./scenario.js";
import { WorkboxDevice, type WorkboxFleet } from "./workbox-device.js";
import { CoreClock } from "./core-clock.js";
import { SchedulerEndpoint } from "../wasm-core/binding/scheduler-endpoint.js";
import { World, type LinkState } from "./world.js";
import type { BackgroundServiceEvent } from "../agent/log.js";
import type { Agent } from "../agent/agent.js";
import type { DeviceClock } from "./device-clock.js";

/** Devices whose connectivity the report charts. */
export const SAMPLED_DEVICES = 24;

export interface Shard {
  index: number;
  count: number;
}

export interface ShardResult {
  /** The scenario in file form: shards merge only with shards of the same one. */
  scenario: Record<string, unknown>;
  shard: Shard;
  durationMs: number;
  devices: number;
  /** The backend capacity this shard's share was given, requests/s. */
  capacity: number;
  policies: Partial<Record<PolicyName, PolicyMetricsJson & { problems: number; firstProblem?: string }>>;
  samples: { device: number; trace: [number, LinkState][] }[];
  recoveries: { kind: OutageKind; at: number }[];
  run: { wallMs: number; events: number; peakRssBytes: number; peakHeapBytes: number };
}

/** One shard's result from the results of its policies run apart (see FleetHooks.policies). */
export function mergePolicyParts(parts: readonly ShardResult[]): ShardResult {
  const [first, ...rest] = parts;
  if (!first) throw new Error("no parts to merge");
  const merged: ShardResult = { ...first, policies: { ...first.policies }, run: { ...first.run } };
  for (const part of rest) {
    Object.assign(merged.policies, part.policies);
    merged.run.wallMs = Math.max(merged.run.wallMs, part.run.wallMs);
    merged.run.events += part.run.events;
    merged.run.peakRssBytes = Math.max(merged.run.peakRssBytes, part.run.peakRssBytes);
    merged.run.peakHeapBytes = Math.max(merged.run.peakHeapBytes, part.run.peakHeapBytes);
  }
  return merged;
}

/** Devices [first, first + count) of shard `index` of `count`. */
export function shardRange(devices: number, shard: Shard): { first: number; count: number } {
  const first = Math.floor((devices * shard.index) / shard.count);
  const end = Math.floor((devices * (shard.index + 1)) / shard.count);
  return { first, count: end - first };
}

export interface RunOptions {
  /** Called now and then with the share of virtual time done (0–1). */
  onProgress?: (done: number) => void;
  /** Settle promise reactions once per window of this many ms instead of per instant (0: exact). */
  quantumMs?: number;
}

export interface FleetHooks {
  /** Every Background Services event of the Agent-based policies' devices. */
  onEvent?: (policy: PolicyName, device: number, event: BackgroundServiceEvent) => void;
  /** Connectivity of the Agent-based policies comes from elsewhere (--mqtt), not the world. */
  externalConnectivity?: boolean;
  /** An Agent started on a device (after each boot). */
  onBoot?: (policy: PolicyName, device: number, agent: Agent, clock: DeviceClock) => void;
  /** The real clock, for runs in real time. */
  live?: () => number;
  /**
   * Run only these of the scenario's policies (a worker's share of them). Each policy runs in
   * a world of its own making, the same whichever others run beside it, so the parts of a
   * shard merge into exactly the whole (mergePolicyParts).
   */
  policies?: readonly PolicyName[];
}

type PolicyFleet = { metrics: PolicyMetrics; backend: Backend; problems: { count: number; first: string | undefined } };

/** One shard, built: step its queue (tests) or run it to the end. */
export class FleetSim {
  readonly #started = performance.now();
  readonly #fleets: Map<PolicyName, PolicyFleet>;

  private constructor(
    readonly scenario: Scenario,
    readonly shard: Shard,
    readonly queue: EventQueue,
    readonly world: World,
    readonly capacity: number,
    readonly devices: Map<PolicyName, (AgentDevice | WorkboxDevice)[]>,
    fleets: Map<PolicyName, PolicyFleet>,
  ) {
    this.#fleets = fleets;
    // A recovery's backlog: what devices that can reach the backend again still have to send
    // (not what waits behind a captive portal or a link of its own that is down).
    world.onRecovered = (k) => {
      const at = queue.now;
      for (const [name, list] of devices) {
        const metrics = fleets.get(name)!.metrics;
        list.forEach((d, i) => metrics.backlogAt(k, at, world.devices[i]!.reachable ? d.waitingMessages() : []));
      }
    };
    world.start();
  }

  /** Build shard `shard` of the scenario's fleet; its devices boot at virtual time 0. */
  static async create(scenario: Scenario, shard: Shard, hooks: FleetHooks = {}): Promise<FleetSim> {
    const { first, count } = shardRange(scenario.devices, shard);
    const queue = new EventQueue();
    const fleetCapacity = (scenario.backend.capacityPer1000 * scenario.devices) / 1000;
    const all = policyNames(scenario);
    const policies = all.filter((p) => scenario.policies.includes(p) && (hooks.policies?.includes(p) ?? true));
    const world = new World(scenario, queue, first, count, SAMPLED_DEVICES, policies.includes("workbox"));
    const backendOutages = world.backendOutages();
    const module = await coreModule();
    const fleets = new Map<PolicyName, PolicyFleet>();
    const devices = new Map<PolicyName, (AgentDevice | WorkboxDevice)[]>();
    for (const name of policies) {
      const base = simPolicy(name, scenario);
      const policy = hooks.externalConnectivity && base.kind === "agent" ? { ...base, online: "external" as const } : base;
      const metrics = new PolicyMetrics();
      metrics.oldBefore = scenario.durationMs - 3_600_000;
      const backend = new Backend(
        fleetCapacity,
        { first, count, devices: scenario.devices },
        scenario.durationMs,
        backendOutages,
        scenario.backend.retryAfterMs,
        scenario.backend.errorRate,
      );
      const problems = { count: 0, first: undefined as string | undefined };
      fleets.set(name, { metrics, backend, problems });
      const list: (AgentDevice | WorkboxDevice)[] = [];
      const policyIndex = all.indexOf(name);
      const rngFor = (device: number) => new Rng(streamKey(scenario.seed, device, 1000 + policyIndex));
      if (policy.kind === "agent") {
        const scheduler = await Scheduler.instantiate(module, {
          preset: policy.preset,
          policy: policy.overrides,
          seed: streamKey(scenario.seed, 2000 + policyIndex, shard.index, shard.count),
        });
        const { eventTimeout, lastChanceEventTimeout } = scheduler.policy();
        const { onEvent, onBoot, live } = hooks;
        const offered = scenario.backend.admission;
        const admission =
          // --mqtt: the backend's real admission topic reaches the agents through the broker.
          policy.followsAdmission && offered > 0 && !hooks.externalConnectivity
            ? new AdmissionPublisher(queue, backend.capacity * offered, () => world.backendUp, Math.max(1, Math.ceil(count / 100)), scenario.backend.slots)
            : undefined;
        const fleet: AgentFleet = {
          policy,
          core: new SchedulerEndpoint(scheduler, new CoreClock(queue, hooks.live)),
          backend,
          ...(admission ? { admission } : {}),
          metrics,
          eventTimeout,
          lastChanceEventTimeout,
          problems,
          ...(onEvent ? { onEvent: (device: number, e: BackgroundServiceEvent) => onEvent(name, device, e) } : {}),
          ...(onBoot ? { onBoot: (device: number, agent: Agent, clock: DeviceClock) => onBoot(name, device, agent, clock) } : {}),
          ...(live ? { live } : {}),
        };
        for (const w of world.devices) list.push(new AgentDevice(fleet, w, rngFor(w.index)));
        for (const d of list) admission?.listen(d as AgentDevice);
      } else {
        const fleet: WorkboxFleet = { backend, metrics, maxRetentionMs: scenario.workbox.maxRetentionMs };
        for (const w of world.devices) list.push(new WorkboxDevice(fleet, w, rngFor(w.index)));
      }
      list.forEach((d, i) => world.devices[i]!.devices.push(d));
      devices.set(name, list);
    }
    return new FleetSim(scenario, shard, queue, world, (fleetCapacity * count) / scenario.devices, devices, fleets);
  }

  #peakRss = 0;
  #peakHeap = 0;

  #sampleMemory(): void {
    this.#peakRss = Math.max(this.#peakRss, process.memoryUsage.rss());
    this.#peakHeap = Math.max(this.#peakHeap, process.memoryUsage().heapUsed);
  }

  /** Run to the end of the scenario and account for everything still in flight. */
  async run(options: RunOptions = {}): Promise<ShardResult> {
    const scenario = this.scenario;
    this.#sampleMemory();
    let lastReport = performance.now();
    let settled = 0;
    await this.queue.run(
      scenario.durationMs,
      (now) => {
        // Reading the real clock after every instant cost 2.6 % of a run.
        if ((++settled & 63) !== 0) return;
        const wall = performance.now();
        if (wall - lastReport < 250) return;
        lastReport = wall;
        this.#sampleMemory();
        options.onProgress?.(now / scenario.durationMs);
      },
      options.quantumMs ?? 0,
    );
    options.onProgress?.(1);
    return this.finish();
  }

  /** Stop here: what is still in flight or waiting counts as pending (or delivered, unacknowledged). */
  finish(): ShardResult {
    const scenario = this.scenario;
    for (const list of this.devices.values()) for (const d of list) d.finish();
    this.#sampleMemory();

    const result: ShardResult = {
      scenario: scenarioToJson(scenario),
      shard: this.shard,
      durationMs: scenario.durationMs,
      devices: this.world.devices.length,
      capacity: this.capacity,
      policies: {},
      samples: this.world.devices.filter((d) => d.trace).map((d) => ({ device: d.index, trace: d.trace! })),
      recoveries: this.world.recoveries(),
      run: { wallMs: performance.now() - this.#started, events: this.queue.fired, peakRssBytes: this.#peakRss, peakHeapBytes: this.#peakHeap },
    };
    for (const [name, { metrics, backend, problems }] of this.#fleets) {
      result.policies[name] = { ...metrics.toJSON(backend.arrivals), problems: problems.count, ...(problems.first ? { firstProblem: problems.first } : {}) };
    }
    return result;
  }
}

/** Build and run one shard. */
export async function runShard(scenario: Scenario, shard: Shard, options: RunOptions & FleetHooks = {}): Promise<ShardResult> {
  return (await FleetSim.create(scenario, shard, options)).run(options);
}
