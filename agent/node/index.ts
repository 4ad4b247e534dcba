/**
 * The package's public API in Node: `import { Agent, FileStore, createScheduler, … } from
 * "syncward"`. Only what is exported here is promised to users; every other module of the
 * package may change without notice. The typed Scheduler alone is also `syncward/core`, the
 * raw core `syncward/core.wasm`, its WIT world `syncward/scheduler.wit`, and the browser
 * polyfill `syncward/page.js` and `syncward/sw.js`.
 *
 * @example
 * ```ts
 * const agent = await Agent.start({ scheduler: singleTenant(await createScheduler()), store, dispatcher });
 * ```
 * @packageDocumentation
 */

export { Agent, type AgentOptions, type AgentServiceWorker, type RegistrationStatus, type ServiceWorkerOptions } from "../agent.js";
export { systemClock, type Clock } from "../clock.js";
export { MAX_TAG_LENGTH } from "../tag-limit.js";
export { BrowserScopes, type BrowserScope } from "../browser-scopes.js";
export type { Dispatcher, DispatchResult, SyncDispatch } from "../dispatcher.js";
export {
  devToolsEvent,
  jsonLine,
  textLine,
  type BackgroundService,
  type BackgroundServiceEvent,
  type DevToolsBackgroundServiceEvent,
  type LogSink,
} from "../log.js";
export { MemoryStore } from "../memory-store.js";
export type { LoadReport, RegistrationStore, StoreChanges, StoredRegistration } from "../store.js";
export type { ProbeOptions } from "../reachability-probe.js";
export { DeviceConnectivity, type ConnectivityStatus, type DeviceConnectivityOptions, type MqttOptions } from "../connectivity/device-connectivity.js";
export { Scheduler, type Conditions, type PersistedRegistration, type RegisterOptions, type SchedulerOptions } from "../../wasm-core/binding/scheduler.js";
export { SchedulerEndpoint, singleTenant, type SchedulerCore } from "../../wasm-core/binding/scheduler-endpoint.js";
export { SchedulerError, type Decision, type DropReason, type Outcome, type RegistrationState } from "../../wasm-core/binding/codes.js";
export { PRESETS, type JitterMode, type Policy, type Preset } from "../../wasm-core/binding/policy.js";
export { createScheduler, coreModule } from "../../wasm-core/binding/core-wasm.js";
export { FileStore, type FileStoreOptions } from "./file-store.js";
export {
  NodeServiceWorkerHost,
  type HostedServiceWorker,
  type LoadOptions,
  type NodeServiceWorkerHostOptions,
  type ServiceWorkerLimits,
  type WindowClientInfo,
} from "./service-worker-host.js";
