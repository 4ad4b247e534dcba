// The Periodic Background Sync registrations the apps of the served origins make in a
// Chromium-family browser, as the agent learns them over the DevTools protocol.
//
// One-shot registrations reach the agent when Chromium fires them (devtools-hook.ts). A
// periodic one Chromium fires a day after register() at the soonest (its 12-hour floor,
// doubled for a site with little engagement), and never for a site with none: taken that way,
// the agent would learn it a day late or not at all. So the agent reads Chromium's own record
// of register() and unregister() instead: the BackgroundService domain, recording
// periodicBackgroundSync, reports "Registered periodicsync" (with the minInterval) and
// "Unregistered periodicsync" as they happen, from pages and workers alike.
//
// Chromium refuses periodicSync.register() (NotAllowedError "Permission denied.") to a site
// that is not an installed web app. The origins the agent serves are the kiosk's own, so the
// agent grants them the permission (Browser.setPermission); Chromium drops the grant with the
// agent's connection, so with the agent away register() is refused again, as nothing would
// fire the registration then.

import type { DevToolsConnection } from "./devtools-connection.js";

const SERVICE = "periodicBackgroundSync";

export interface PeriodicRegistrationEvents {
  /** The app of `scope` registered periodic `tag` with Chromium, which accepted it: the agent is to hold it. */
  periodicRegistered(scope: string, tag: string, minInterval: number): Promise<void>;
  /** The app of `scope` unregistered periodic `tag`. */
  periodicUnregistered(scope: string, tag: string): Promise<void>;
  log(line: string): void;
}

/** BackgroundService.BackgroundServiceEvent, the fields read here. */
interface BackgroundServiceEvent {
  origin: string;
  serviceWorkerRegistrationId: string;
  eventName: string;
  instanceId: string;
  eventMetadata: { key: string; value: string }[];
}

/** Reports the served origins' periodic registrations to the agent as Chromium records them. */
export class PeriodicRegistrations {
  readonly #connection: DevToolsConnection;
  readonly #session: string;
  readonly #origins: ReadonlySet<string>;
  readonly #scopeOf: (registrationId: string) => string | undefined;
  readonly #events: PeriodicRegistrationEvents;
  /** In Chromium's order: a register() and the unregister() right after it reach the agent so. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(
    connection: DevToolsConnection,
    session: string,
    origins: readonly string[],
    scopeOf: (registrationId: string) => string | undefined,
    events: PeriodicRegistrationEvents,
  ) {
    this.#connection = connection;
    this.#session = session;
    this.#origins = new Set(origins);
    this.#scopeOf = scopeOf;
    this.#events = events;
  }

  /**
   * Grant `origins` periodic sync and report their registrations (those recorded while the
   * agent was away first), over `session`
   * (a page target's: the BackgroundService domain has no other). `scopeOf` names the scope
   * of a service worker registration id, undefined for one the agent does not serve.
   */
  static async observe(
    connection: DevToolsConnection,
    session: string,
    origins: readonly string[],
    scopeOf: (registrationId: string) => string | undefined,
    events: PeriodicRegistrationEvents,
  ): Promise<void> {
    const watcher = new PeriodicRegistrations(connection, session, origins, scopeOf, events);
    connection.on("BackgroundService.backgroundServiceEventReceived", (params, sessionId) => {
      if (sessionId === session) watcher.#received(params.backgroundServiceEvent);
    });
    // setPermission, not grantPermissions, which would deny the origin every other permission.
    for (const origin of origins)
      await connection.send("Browser.setPermission", { permission: { name: "periodic-background-sync" }, setting: "granted", origin });
    // Recording stays on in the profile for days, and Chromium replays what it recorded to a
    // new observer: an unregister() while the agent was away reaches it when it comes back.
    await connection.send("BackgroundService.setRecording", { shouldRecord: true, service: SERVICE }, session);
    await connection.send("BackgroundService.startObserving", { service: SERVICE }, session);
  }

  #received(raw: unknown): void {
    const event = raw as Partial<BackgroundServiceEvent> | undefined;
    if (typeof event?.eventName !== "string" || typeof event.instanceId !== "string" || typeof event.serviceWorkerRegistrationId !== "string") {
      return this.#events.log(`ignored a malformed BackgroundService event: ${JSON.stringify(raw)?.slice(0, 200)}`);
    }
    // Recorded for every origin, and the agent's own dispatches are recorded too.
    this.#forget();
    const registered = event.eventName === "Registered periodicsync";
    if (!registered && event.eventName !== "Unregistered periodicsync") return;
    if (!this.#serves(event.origin)) return;
    const tag = event.instanceId;
    const scope = this.#scopeOf(event.serviceWorkerRegistrationId);
    if (scope === undefined)
      return this.#events.log(
        `ignored periodic sync "${tag}" of service worker registration ${event.serviceWorkerRegistrationId}, which the agent does not know`,
      );
    const minInterval = Number(event.eventMetadata?.find((m) => m.key === "minInterval")?.value);
    if (registered && !(Number.isSafeInteger(minInterval) && minInterval >= 0)) {
      return this.#events.log(`ignored periodic sync "${tag}" of ${scope}: Chromium reported no minInterval`);
    }
    this.#queue = this.#queue
      .then(() => (registered ? this.#events.periodicRegistered(scope, tag, minInterval) : this.#events.periodicUnregistered(scope, tag)))
      .catch((error: Error) => this.#events.log(`could not ${registered ? "hold" : "unregister"} periodic sync "${tag}" of ${scope}: ${error.message}`));
  }

  #serves(origin: unknown): boolean {
    try {
      return this.#origins.has(new URL(String(origin)).origin);
    } catch {
      return false;
    }
  }

  /** Chromium's record of what has been reported: the agent has it, and it would only pile up in the profile. */
  #forget(): void {
    // A clear that fails (the connection is closing) leaves the record to the next one.
    this.#connection.send("BackgroundService.clearEvents", { service: SERVICE }, this.#session).catch(() => {});
  }
}
