// What `/metrics` shows, in Prometheus' text format (prom-client): the registrations by
// state, read from the Agent when scraped; the events fired, failed and timed out and the
// online transitions, counted as they happen; and how long each store commit took to become
// durable. The counters live as long as the process, across config reloads.

import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RegistrationStatus } from "../agent.js";
import type { BackgroundServiceEvent } from "../log.js";
import type { RegistrationStore, StoreChanges } from "../store.js";

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #fired: Counter<"service">;
  readonly #failed: Counter<"service" | "reason">;
  readonly #timedOut: Counter<"service">;
  readonly #transitions: Counter<"to">;
  readonly #commits: Histogram;
  #online: boolean | undefined;

  /** `registrations` is read at each scrape. */
  constructor(registrations: () => readonly RegistrationStatus[]) {
    const registers = [this.registry];
    new Gauge({
      name: "syncward_registrations",
      help: "Sync and periodic sync registrations by kind and state.",
      labelNames: ["kind", "state"],
      registers,
      collect() {
        this.reset();
        for (const r of registrations()) this.inc({ kind: r.kind, state: r.state });
      },
    });
    this.#fired = new Counter({
      name: "syncward_events_fired_total",
      help: "Sync and periodicsync events dispatched to a worker.",
      labelNames: ["service"],
      registers,
    });
    this.#failed = new Counter({
      name: "syncward_events_failed_total",
      help: "Events that failed, other than by the time limit, by reason.",
      labelNames: ["service", "reason"],
      registers,
    });
    this.#timedOut = new Counter({
      name: "syncward_events_timed_out_total",
      help: "Events that passed the event time limit.",
      labelNames: ["service"],
      registers,
    });
    this.#transitions = new Counter({
      name: "syncward_online_transitions_total",
      help: "Changes of the device's fused online state.",
      labelNames: ["to"],
      registers,
    });
    this.#commits = new Histogram({
      name: "syncward_store_commit_seconds",
      help: "Time from a store commit to its changes being durable.",
      registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
  }

  /** Count a Background Service event from the Agent's log. */
  readonly event = (event: BackgroundServiceEvent): void => {
    const service = event.service;
    if (event.eventName.startsWith("Dispatched ")) this.#fired.inc({ service });
    else if (event.eventName.endsWith(" event failed")) {
      const reason = event.eventMetadata["Failure Reason"] ?? "unknown";
      if (reason === "timeout") this.#timedOut.inc({ service });
      else this.#failed.inc({ service, reason });
    }
  };

  /** The fused online state now; a change from the last one is a transition. */
  online(online: boolean): void {
    if (this.#online !== undefined && online !== this.#online) this.#transitions.inc({ to: online ? "online" : "offline" });
    this.#online = online;
  }

  /** `store` with each commit timed. */
  timed(store: RegistrationStore): RegistrationStore {
    const commits = this.#commits;
    return {
      load: () => store.load(),
      close: () => store.close(),
      async commit(changes: StoreChanges) {
        const end = commits.startTimer();
        await store.commit(changes);
        end();
      },
    };
  }
}
