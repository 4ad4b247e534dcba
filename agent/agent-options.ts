// What an Agent is built from and what it hands out: its options, a served service worker
// registration (the object behind `registration.sync` and `registration.periodicSync`), and
// the status of one registration.

import type { Clock } from "./clock.js";
import type { RegistrationState } from "../wasm-core/binding/codes.js";
import type { SchedulerPort } from "../wasm-core/binding/scheduler-port.js";
import type { Dispatcher } from "./dispatcher.js";
import type { LogSink } from "./log.js";
import type { RegistrationStore } from "./store.js";
import type { PeriodicSyncManager } from "./web-api/periodic-sync-manager.js";
import type { SyncManager } from "./web-api/sync-manager.js";

type Kind = "one-shot" | "periodic";

export interface AgentOptions {
  /** This device's domain of a scheduling core (see SchedulerEndpoint). */
  scheduler: SchedulerPort;
  store: RegistrationStore;
  dispatcher: Dispatcher;
  clock?: Clock;
  log?: LogSink;
  /** Problems that are not Background Service events (a failed background write, a bad record). */
  onProblem?: (message: string) => void;
  /** The "background-sync" permission; false gives NotAllowedError. Default: granted. */
  syncPermitted?: () => boolean;
  /** The "periodic-background-sync" permission. Default: granted. */
  periodicSyncPermitted?: () => boolean;
}

export interface ServiceWorkerOptions {
  /** Whether the registration has an active worker now (register() needs one). Default true. */
  active?: boolean;
  /** Whether a window client (top-level or auxiliary) of the origin exists now. */
  hasWindowClient: () => boolean;
  /**
   * register() resolves in another realm (a tab or a worker, reached by messages): its event
   * waits for {@link AgentServiceWorker.resolved}, which the caller sends once its own promise
   * resolved (Chromium's DidResolveRegistration). Default false: the event follows this
   * realm's resolution.
   */
  confirmsResolution?: boolean;
}

/** A service worker registration as the Agent serves it: `registration.sync` and friends. */
export interface AgentServiceWorker {
  readonly scope: string;
  readonly sync: SyncManager;
  readonly periodicSync: PeriodicSyncManager;
  setActive(active: boolean): void;
  /** The caller's register() promise of `tag` resolved (with `confirmsResolution`): its event may follow. */
  resolved(kind: Kind, tag: string): void;
  /** The service worker registration was unregistered: its sync registrations go with it. */
  unregister(): Promise<void>;
  /**
   * Stop serving the scope but keep its sync registrations stored (the worker failed to
   * start, the process is handing over): they come back when the scope is added again.
   */
  detach(): void;
}

/** One registration as `status()` reports it. */
export interface RegistrationStatus {
  scope: string;
  tag: string;
  kind: Kind;
  state: RegistrationState;
  attempts: number;
  /** Wall time in ms before which the back-off holds it back (0: none). */
  delayUntil: number;
}
