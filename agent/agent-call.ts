// One call to an origin's Agent: what a tab, a dedicated or shared worker, or a service worker
// (through a tab) asks of it. The leader tab's own Agent answers it, or, over the page bridge,
// the device's `syncward agent`. Its arguments were converted by the calling realm's SyncManager.

import type { RegistrationStatus } from "./agent-options.js";

export type Kind = "one-shot" | "periodic";

export type AgentCall =
  | { op: "register"; scope: string; kind: Kind; tag: string; minInterval: number }
  | { op: "getTags"; scope: string; kind: Kind }
  | { op: "unregister"; scope: string; kind: "periodic"; tag: string }
  /** The caller's register() promise resolved: the event may follow. */
  | { op: "resolved"; scope: string; kind: Kind; tag: string }
  /** The service worker registration of `scope` was unregistered. */
  | { op: "forget"; scope: string }
  | { op: "status" };

export interface AgentStatus {
  online: boolean;
  /** Which connectivity evidence decided. */
  reason: string;
  /** With an admission topic: the share of the backend in force (requests/s), null while falling back to the policy. */
  admissionPerDevice?: number | null;
  registrations: RegistrationStatus[];
}
