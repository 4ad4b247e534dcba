// One device running the real Agent (kiosk, chromium and naive policies): a MemoryStore that
// outlives crashes (it is the durable store), the app's durable outbox, a service worker
// whose sync handler sends the outbox to the simulated backend, and connectivity as the
// policy sees it: navigator.onLine, or the connectivity fusion over evidence from the world.

import { Agent } from "../agent/agent.js";
import { AdmissionFollower, type Admission } from "../agent/connectivity/admission.js";
import { ConnectivityFusion, type Evidence } from "../agent/connectivity/fusion.js";
import type { DispatchResult, Dispatcher, SyncDispatch } from "../agent/dispatcher.js";
import type { BackgroundServiceEvent } from "../agent/log.js";
import { MemoryStore } from "../agent/memory-store.js";
import type { AgentServiceWorker } from "../agent/agent.js";
import type { AdmissionListener, AdmissionPublisher } from "./admission-publisher.js";
import type { Backend } from "./backend.js";
import { DeviceClock } from "./device-clock.js";
import type { Timed } from "./event-queue.js";
import type { PolicyMetrics } from "./metrics.js";
import { sendRequest } from "./network.js";
import { Outbox, newMessage, type Message } from "./outbox.js";
import { ReconnectWatch } from "./reconnect-watch.js";
import type { AgentPolicy } from "./policies.js";
import type { Rng } from "./rng.js";
import type { DomainId } from "../wasm-core/binding/codes.js";
import type { SchedulerEndpoint } from "../wasm-core/binding/scheduler-endpoint.js";
import type { SchedulerPort } from "../wasm-core/binding/scheduler-port.js";
import type { DeviceWorld, SimDevice } from "./world.js";

/** The kiosk app's origin. */
export const SCOPE = "https://kiosk.example/";

/** What every device of one policy shares. */
export interface AgentFleet {
  policy: AgentPolicy;
  /** The policy's one core, shared by every device: each boot gets a port of its domain. */
  core: SchedulerEndpoint;
  backend: Backend;
  /** The backend's admission topic, when the policy follows one. */
  admission?: AdmissionPublisher;
  metrics: PolicyMetrics;
  eventTimeout: number;
  lastChanceEventTimeout: number;
  /** Problems the agents reported (store writes refused after a crash, …), for the run's log. */
  problems: { count: number; first: string | undefined };
  /** Every Background Services event of every device (tracing, tests). */
  onEvent?: (device: number, event: BackgroundServiceEvent) => void;
  /** A device's Agent started (after a boot), on that boot's clock. */
  onBoot?: (device: number, agent: Agent, clock: DeviceClock) => void;
  /** The real clock, in real-time runs. */
  live?: () => number;
}

/** The periodic reachability probe, when its next run notices a change. */
class ProbeRun implements Timed {
  at = 0;
  seq = 0;
  queued = false;
  constructor(readonly device: AgentDevice) {}
  fire(): void {
    this.device.probe();
  }
}

export class AgentDevice implements SimDevice, Dispatcher, AdmissionListener {
  readonly #fleet: AgentFleet;
  readonly #world: DeviceWorld;
  readonly #rng: Rng;
  readonly #store = new MemoryStore();
  readonly #outbox: Outbox;
  readonly #probeRun = new ProbeRun(this);
  #domain: DomainId | undefined;
  #clock: DeviceClock | undefined;
  #port: SchedulerPort | undefined;
  #agent: Agent | undefined;
  #sw: AgentServiceWorker | undefined;
  #fusion: ConnectivityFusion | undefined;
  #admission: AdmissionFollower | undefined;
  /** Connected to the broker (this boot's Agent running). */
  #connected = false;
  /** Counted by the backend's admission as a device with work waiting. */
  #waiting = false;
  #lastAttemptAt = NaN;
  readonly #reconnect: ReconnectWatch;
  /** Sync events dispatched and not answered yet (this boot). */
  #inFlight = 0;

  constructor(fleet: AgentFleet, world: DeviceWorld, rng: Rng) {
    this.#fleet = fleet;
    this.#reconnect = new ReconnectWatch(fleet.metrics);
    this.#world = world;
    this.#rng = rng;
    this.#outbox = new Outbox(world.world.scenario.workload.tags);
  }

  /** The durable store (tests look at it across reboots). */
  get store(): MemoryStore {
    return this.#store;
  }

  get agent(): Agent | undefined {
    return this.#agent;
  }

  waitingMessages(): Iterable<Message> {
    return this.#outbox.all();
  }

  /** The tags the app still has messages under (its durable outbox). */
  waitingTags(): string[] {
    return this.#outbox.tags();
  }

  boot(): void {
    const queue = this.#world.world.queue;
    const clock = new DeviceClock(queue, this.#world.bootSkew, this.#world.bootSyncAt, this.#fleet.live);
    const port = this.#fleet.core.port(this.#domain);
    this.#domain = port.domain;
    this.#clock = clock;
    this.#port = port;
    void Agent.start({
      scheduler: port,
      store: this.#store,
      dispatcher: this,
      clock,
      log: (e) => this.#logged(clock, e),
      onProblem: (m) => this.#problem(clock, m),
    }).then((agent) => {
      if (!clock.alive) return;
      this.#agent = agent;
      const sw = agent.addServiceWorker(SCOPE, { hasWindowClient: () => true });
      this.#sw = sw;
      if (this.#fleet.policy.online === "fused") {
        const kiosk = this.#world.world.scenario.kiosk;
        this.#fusion = new ConnectivityFusion({
          clock,
          require: kiosk.require,
          ...(kiosk.settleMs === undefined ? {} : { settleMs: kiosk.settleMs }),
          onChange: (s) => agent.setConditions(s),
        });
      }
      const publisher = this.#fleet.admission;
      if (publisher) {
        this.#admission = new AdmissionFollower({ clock, topic: "admission", apply: (share, slotAt) => agent.setPace(share, slotAt) });
      }
      this.linkChanged();
      this.#fleet.onBoot?.(this.#world.index, agent, clock);
      // The page, once loaded, registers what its outbox holds and no registration covers
      // (a register() a crash interrupted before it was durable).
      void sw.sync.getTags().then((tags) => {
        if (!clock.alive) return;
        const have = new Set(tags);
        for (const tag of this.#outbox.tags()) if (!have.has(tag)) this.#register(tag);
      });
    });
  }

  crash(): void {
    this.#fleet.metrics.inFlightAtCrash += this.#inFlight;
    this.#inFlight = 0;
    this.#clock?.kill();
    // Its registrations leave the core (the store keeps them); the next boot starts offline.
    this.#port?.close();
    this.#fusion?.close();
    this.#world.world.queue.cancel(this.#probeRun);
    this.#agent = undefined;
    this.#sw = undefined;
    this.#fusion = undefined;
    this.#admission?.close();
    this.#admission = undefined;
    this.#connected = false;
    this.#admissionCount();
  }

  linkChanged(): void {
    const agent = this.#agent;
    if (!agent || this.#fleet.policy.online === "external") return;
    if (!this.#fusion) {
      if (agent.online !== this.#world.linkUp) agent.setConditions({ online: this.#world.linkUp });
      return;
    }
    const w = this.#world;
    this.#fusion.report("navigatorOnLine", w.linkUp ? "good" : "bad");
    // NetworkManager checks connectivity when a link comes up; a link going down fails it.
    this.#report("probe", w.reachable ? "good" : "bad");
    this.brokerChanged();
  }

  backendChanged(): void {
    this.#fleet.admission?.backendChanged();
    if (!this.#fusion) return;
    // The periodic probe notices at its next run; the broker relays the backend's state at once.
    if (this.#world.linkUp) {
      const interval = this.#world.world.scenario.kiosk.probeIntervalMs;
      const now = this.#world.world.queue.now;
      const next = now + ((((this.#world.probePhase - now) % interval) + interval) % interval);
      this.#world.world.queue.schedule(this.#probeRun, next);
    }
    this.brokerChanged();
  }

  brokerChanged(): void {
    const w = this.#world;
    const connected = w.linkUp && !w.captive && w.world.brokerUp;
    if (this.#admission && connected !== this.#connected) {
      this.#connected = connected;
      // A new connection reads the retained admission; the summary it publishes tells the backend.
      const retained = this.#fleet.admission!.retained;
      if (connected && retained !== undefined) this.#admission.follow(retained);
      this.#admissionCount();
    }
    if (!this.#fusion) return;
    this.#report("broker", connected ? "good" : "bad");
    this.#report("backendStatus", !connected ? "unknown" : w.world.backendUp ? "good" : "bad");
  }

  /** The probe's periodic run after a change of the backend's state. */
  probe(): void {
    if (this.#fusion && this.#clock?.alive) this.#report("probe", this.#world.reachable ? "good" : "bad");
  }

  #report(signal: "probe" | "broker" | "backendStatus", evidence: Evidence): void {
    if (this.#fleet.policy.online === "fused" && this.#world.world.scenario.kiosk.require.includes(signal)) this.#fusion?.report(signal, evidence);
  }

  message(seq: number): void {
    const m = newMessage(seq, this.#world.world.queue.now);
    this.#fleet.metrics.created(m);
    const tag = this.#outbox.add(m);
    this.#admissionCount();
    // Before the page has loaded, the reconciliation at start registers it.
    if (this.#sw) this.#register(tag);
  }

  pageReload(): void {
    // The Agent runs beside the page: a reload changes nothing it schedules.
  }

  reconnected(): void {
    this.#reconnect.reconnected(this.#world.world.queue.now, this.#outbox.size > 0);
  }

  unreachable(): void {
    this.#reconnect.unreachable();
  }

  /** The run ended: what is still in the outbox is pending (or delivered, unacknowledged). */
  finish(): void {
    for (const m of this.#outbox.all()) this.#fleet.metrics.unsettled(m);
    this.#reconnect.finish();
  }

  #register(tag: string): void {
    const clock = this.#clock;
    this.#sw!.sync.register(tag).catch((error: Error) => this.#problem(clock!, `register("${tag}") failed: ${error.message}`));
  }

  /** The service worker's sync handler: send what the outbox holds for the tag. */
  dispatch(event: SyncDispatch): Promise<DispatchResult> {
    const fleet = this.#fleet;
    const queue = this.#world.world.queue;
    const now = queue.now;
    const batch = this.#outbox.batch(event.tag);
    fleet.metrics.attempts++;
    if (now !== this.#lastAttemptAt) {
      fleet.metrics.wakeups++;
      this.#lastAttemptAt = now;
    }
    this.#reconnect.attempted(now, batch);
    if (batch.length === 0) return Promise.resolve({ outcome: "success" });
    const giveUpAt = now + (event.lastChance ? fleet.lastChanceEventTimeout : fleet.eventTimeout);
    const fate = sendRequest(this.#world, fleet.backend, this.#rng, now, giveUpAt);
    if (!Number.isNaN(fate.arrivedAt)) for (const m of batch) fleet.metrics.arrived(m, fate.arrivedAt);
    const clock = this.#clock!;
    this.#inFlight++;
    return new Promise<DispatchResult>((resolve) => {
      clock.after(fate.respondAt - now, () => {
        this.#inFlight--;
        // Past the event time limit the worker was stopped: nothing of it runs any more.
        if (event.signal.aborted) return resolve({ outcome: "failure", reason: "timeout" });
        switch (fate.result) {
          case "ok":
            this.#outbox.remove(event.tag, batch);
            for (const m of batch) fleet.metrics.settled(m, "acknowledged");
            this.#admissionCount();
            return resolve({ outcome: "success" });
          case "overloaded":
            return resolve({
              outcome: "failure",
              reason: "waitUntil rejected",
              ...(fleet.policy.honoursRetryAfter ? { retryAfterMs: fleet.backend.retryAfterMs } : {}),
            });
          default:
            return resolve({ outcome: "failure", reason: "waitUntil rejected" });
        }
      });
    });
  }

  #logged(clock: DeviceClock, e: BackgroundServiceEvent): void {
    if (!clock.alive) return;
    this.#fleet.onEvent?.(this.#world.index, e);
    if (e.eventName !== "Sync completed") return;
    // The registration was dropped: the app gives its messages up (the spec's example tells
    // the user on lastChance), unless the backend already has them.
    const reason = e.eventMetadata.Status === "expired" ? "expired" : "attemptsExhausted";
    for (const m of this.#outbox.take(e.instanceId)) this.#fleet.metrics.settled(m, reason);
    this.#admissionCount();
  }

  get hasWorkWaiting(): boolean {
    return this.#waiting;
  }

  /** The backend's admission topic, heard while connected. */
  admission(admission: Admission): void {
    if (this.#connected) this.#admission?.follow(admission);
  }

  /** Tell the backend's count whether this device now has work waiting while connected. */
  #admissionCount(): void {
    const publisher = this.#fleet.admission;
    if (!publisher) return;
    const waiting = this.#connected && this.#outbox.size > 0;
    if (waiting !== this.#waiting) {
      this.#waiting = waiting;
      publisher.waiting(waiting ? 1 : -1);
    }
  }

  #problem(clock: DeviceClock, message: string): void {
    if (!clock.alive) return;
    const problems = this.#fleet.problems;
    problems.count++;
    problems.first ??= message;
  }
}
