// Log events in Chromium's BackgroundService vocabulary (DevTools' Background services
// panel), so people who know Chrome read syncward's log at once.

export type BackgroundService = "backgroundSync" | "periodicBackgroundSync";

export interface BackgroundServiceEvent {
  /** Wall-clock milliseconds. */
  timestamp: number;
  service: BackgroundService;
  /** The service worker registration's scope. */
  scope: string;
  /** "Registered sync", "Dispatched sync event", "sync event failed", … */
  eventName: string;
  /** The tag. */
  instanceId: string;
  eventMetadata: Record<string, string>;
}

/** What happened to a registration, in the words of Chromium's event names below. */
export type EventWhat = "Registered" | "Unregistered" | "Dispatched" | "completed" | "failed" | "Reregistered" | "Completed";

/** Chromium's event names ("Registered sync", "Dispatched periodicsync event", …), built once. */
export const EVENT_NAMES: Record<"one-shot" | "periodic", Record<EventWhat, string>> = {
  "one-shot": {
    Registered: "Registered sync",
    Unregistered: "Unregistered sync",
    Dispatched: "Dispatched sync event",
    completed: "sync event completed",
    failed: "sync event failed",
    Reregistered: "Sync event reregistered",
    Completed: "Sync completed",
  },
  periodic: {
    Registered: "Registered periodicsync",
    Unregistered: "Unregistered periodicsync",
    Dispatched: "Dispatched periodicsync event",
    completed: "periodicsync event completed",
    failed: "periodicsync event failed",
    Reregistered: "Periodicsync event reregistered",
    Completed: "Periodicsync completed",
  },
};

export type LogSink = (event: BackgroundServiceEvent) => void;

/**
 * An event in the shape of Chrome DevTools' `BackgroundService.BackgroundServiceEvent` (Chrome
 * DevTools Protocol), so tools made for DevTools' Background services panel read it as is.
 */
export interface DevToolsBackgroundServiceEvent {
  /** Seconds since the epoch (`Network.TimeSinceEpoch`). */
  timestamp: number;
  /** The scope's origin. */
  origin: string;
  /**
   * The registration's id. syncward has one registration per scope, so its scope URL is the
   * id (Chromium's are numbers, also sent as strings).
   */
  serviceWorkerRegistrationId: string;
  service: BackgroundService;
  eventName: string;
  instanceId: string;
  eventMetadata: { key: string; value: string }[];
  /** The origin's storage key, as Chromium writes a first-party one. */
  storageKey: string;
}

/** The event in DevTools' shape. */
export function devToolsEvent(event: BackgroundServiceEvent): DevToolsBackgroundServiceEvent {
  const origin = new URL(event.scope).origin;
  return {
    timestamp: event.timestamp / 1000,
    origin,
    serviceWorkerRegistrationId: event.scope,
    service: event.service,
    eventName: event.eventName,
    instanceId: event.instanceId,
    eventMetadata: Object.entries(event.eventMetadata).map(([key, value]) => ({ key, value })),
    storageKey: `${origin}/`,
  };
}

/** One JSON object per line, in DevTools' shape. */
export function jsonLine(event: BackgroundServiceEvent): string {
  return JSON.stringify(devToolsEvent(event));
}

/** One readable line, e.g. `12:00:01.250 sync event failed  tag=x  Failure Reason: timeout`. */
export function textLine(event: BackgroundServiceEvent): string {
  const time = new Date(event.timestamp).toISOString().slice(11, 23);
  const meta = Object.entries(event.eventMetadata)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join("");
  return `${time} ${event.eventName}  tag=${event.instanceId}  scope=${event.scope}${meta}`;
}
