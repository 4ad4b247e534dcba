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

export type LogSink = (event: BackgroundServiceEvent) => void;

/** One JSON object per line. */
export function jsonLine(event: BackgroundServiceEvent): string {
  return JSON.stringify(event);
}

/** One readable line, e.g. `12:00:01.250 sync event failed  tag=x  Failure Reason: timeout`. */
export function textLine(event: BackgroundServiceEvent): string {
  const time = new Date(event.timestamp).toISOString().slice(11, 23);
  const meta = Object.entries(event.eventMetadata).map(([k, v]) => `  ${k}: ${v}`).join("");
  return `${time} ${event.eventName}  tag=${event.instanceId}  scope=${event.scope}${meta}`;
}
