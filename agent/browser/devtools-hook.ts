// What `syncward agent` puts into a Chromium service worker over the DevTools protocol
// (dist/devtools-hook.js, evaluated in the worker target before the worker's own script runs),
// so that the agent alone decides when the app's `sync` and `periodicsync` listeners run:
//
// - Chromium's own scheduler fires a registration as soon as Chromium thinks it is online
//   (right after register(), on a link without Internet too). Such an event never reaches the
//   app: the hook's capturing listener, which runs before the app's, stops it and hands the
//   registration to the agent through the DevTools binding; once the agent has it durable
//   (`taken`), the native event completes and Chromium forgets its copy. If the agent does not
//   answer (it is gone), the app's listeners run on a copy of the event and its outcome is the
//   native event's, so Chromium's own retries take over and nothing is lost.
// - Chromium's own `periodicsync` (a day at the soonest; the agent learns periodic
//   registrations as they are made, devtools-periodic-registrations.ts) goes the same way: it
//   is stopped if the agent holds the tag, and the app gets a copy if it does not answer.
// - The agent's own events: `expect(type, tag)` before `ServiceWorker.dispatchSyncEvent` or
//   `dispatchPeriodicSyncEvent`; the real, trusted event then passes to the app's listeners and
//   `outcome(id)` reports how it ended, with a Retry-After the handler rejected with
//   (retry-after.ts). Where Chromium drops the dispatch (it thinks it is offline),
//   `fire(type, tag, lastChance)` runs the listeners on a copy.

import { retryAfterOf } from "../retry-after.js";
import { fire } from "./fire-requests.js";
import { installWorkerEvents } from "./worker-events.js";
import { DEVTOOLS_BINDING, PROTOCOL, type FireOutcome, type FireRequest, type HandOver } from "./worker-protocol.js";

/** How long the hook waits for the agent to take a registration Chromium fired. */
const HANDOVER_MS = 2_000;

type EventType = FireRequest["type"];
const TYPES: readonly EventType[] = ["sync", "periodicsync"];

/** A SyncEvent or a PeriodicSyncEvent (which has no lastChance). */
interface NativeSyncEvent extends Event {
  readonly type: EventType;
  readonly tag: string;
  readonly lastChance?: boolean;
  waitUntil(promise: Promise<unknown>): void;
}

interface Expected {
  started: Deferred<void>;
  outcome: Deferred<FireOutcome>;
}

class Deferred<T> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => (this.resolve = resolve));
}

const global = globalThis as unknown as EventTarget & Record<string, unknown>;
const report = (line: string) => console.warn(`syncward: ${line}`);

/** Follow a trusted event through the app's listeners: every waitUntil promise, a listener that threw. */
function observe(event: NativeSyncEvent): Promise<FireOutcome> {
  const started = performance.now();
  const promises: Promise<unknown>[] = [];
  const thrown: unknown[] = [];
  const native = event.waitUntil;
  Object.defineProperty(event, "waitUntil", {
    configurable: true,
    value(promise: Promise<unknown>) {
      native.call(event, promise);
      promises.push(Promise.resolve(promise));
    },
  });
  const onError = (error: Event) => thrown.push((error as ErrorEvent).error ?? (error as ErrorEvent).message);
  global.addEventListener("error", onError);
  // The listeners all run in this task; waitUntil may still be called while a promise is pending.
  return new Promise((resolve) =>
    setTimeout(async () => {
      global.removeEventListener("error", onError);
      const done = (outcome: Omit<FireOutcome, "durationMs">) => resolve({ ...outcome, durationMs: performance.now() - started });
      if (thrown.length > 0) return done({ outcome: "failure", reason: "failed" });
      for (let seen = 0; seen < promises.length; seen = promises.length) {
        const rejected = (await Promise.allSettled(promises.slice(seen))).find((r) => r.status === "rejected");
        if (rejected) {
          const retryAfterMs = retryAfterOf(rejected.reason, Date.now());
          return done({ outcome: "failure", reason: "waitUntil rejected", ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
        }
      }
      done({ outcome: "success" });
    }, 0),
  );
}

function install(): void {
  if (global.__syncwardDevTools) return;
  // The copies are built on the worker's own ExtendableEvent, as sw.js builds its events.
  installWorkerEvents(global);
  let nextId = 1;
  const expected = new Map<number, Expected>();
  /** Expected ids by "type tag": a sync and a periodicsync may share a tag. */
  const byTag = new Map<string, number[]>();
  const handOvers = new Map<number, () => void>();
  const runCopy = (type: EventType, tag: string, lastChance: boolean) => fire(global, { syncward: PROTOCOL, cmd: "fire", type, tag, lastChance }, report);

  async function handOver(event: NativeSyncEvent): Promise<void> {
    const id = nextId++;
    const taken = new Promise<boolean>((resolve) => {
      handOvers.set(id, () => resolve(true));
      setTimeout(() => resolve(false), HANDOVER_MS);
    });
    const lastChance = event.lastChance ?? false;
    const message: HandOver = { type: "taken", id, kind: event.type === "sync" ? "one-shot" : "periodic", tag: event.tag, lastChance };
    const binding = global[DEVTOOLS_BINDING];
    if (typeof binding === "function") binding(JSON.stringify(message));
    const tookIt = await taken;
    handOvers.delete(id);
    if (tookIt) return;
    // The agent is gone: the app gets the event, and Chromium retries it as it would.
    const outcome = await runCopy(event.type, event.tag, lastChance);
    if (outcome.outcome === "failure") throw new Error(`${event.type} event "${event.tag}" failed: ${outcome.reason}`);
  }

  const intercept = (raw: Event) => {
    const event = raw as NativeSyncEvent;
    if (!event.isTrusted) return; // the copies above
    const id = byTag.get(`${event.type} ${event.tag}`)?.shift();
    const entry = id === undefined ? undefined : expected.get(id);
    if (entry) {
      entry.started.resolve();
      void observe(event).then(entry.outcome.resolve);
      return;
    }
    event.stopImmediatePropagation();
    event.waitUntil(handOver(event));
  };
  for (const type of TYPES) global.addEventListener(type, intercept, { capture: true });

  global.__syncwardDevTools = {
    /** The agent is about to dispatch `tag`: the next trusted event of that type and tag is its. */
    expect(type: EventType, tag: string): number {
      const id = nextId++;
      const key = `${type} ${tag}`;
      expected.set(id, { started: new Deferred(), outcome: new Deferred() });
      byTag.set(key, [...(byTag.get(key) ?? []), id]);
      return id;
    },
    started: (id: number) => expected.get(id)?.started.promise,
    async outcome(id: number): Promise<FireOutcome | undefined> {
      const outcome = await expected.get(id)?.outcome.promise;
      expected.delete(id);
      return outcome;
    },
    /** The dispatch never arrived: forget the expectation. */
    cancel(id: number): void {
      expected.delete(id);
      for (const [key, ids] of byTag)
        byTag.set(
          key,
          ids.filter((other) => other !== id),
        );
    },
    taken: (id: number) => handOvers.get(id)?.(),
    fire: runCopy,
  };
}

install();
