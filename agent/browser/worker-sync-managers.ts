// `self.registration.sync` and `self.registration.periodicSync` inside the worker. The
// Agent lives in the page, so the worker hands each call to a window client of its origin
// that runs syncward's page script, which performs it exactly as a page call. With no
// top-level window client (none at all, or only frames nested in other origins' pages),
// register() rejects InvalidAccessError as the spec and Chromium say, while getTags() reads
// the durable registrations straight from IndexedDB and periodic unregister() removes them there.
//
// Where the worker has a native API (Chromium, Electron), the page answers "native" unless
// it has taken over, and the call goes to the native API; if that says "Background Sync is
// disabled." (Electron), the page is asked to take over and the call is repeated through it.

import { noActiveWorker, NO_WINDOW_OR_TAG_TOO_LONG } from "../web-api/register-errors.js";
import { createPeriodicSyncManager, PeriodicSyncManager, type PeriodicSyncBackend } from "../web-api/periodic-sync-manager.js";
import { createSyncManager, SyncManager, type SyncBackend } from "../web-api/sync-manager.js";
import { attributeGetter } from "../web-api/webidl.js";
import { removeStored, storedTags } from "./indexeddb-store.js";
import { answerError, isCallAnswer, PROTOCOL, request, type CallAnswer, type CallRequest, type Kind } from "./worker-protocol.js";
import { NO_PAGE_SCRIPT } from "./leader-link.js";
import { hasTopLevelWindow } from "./top-level-window.js";
import {
  isDisabled,
  nativeDisabled,
  nativeGetters,
  type PeriodicSyncManager as NativePeriodicSyncManager,
  type SyncManager as NativeSyncManager,
} from "./native-sync.js";

/** How long one window client may take to answer before the next is asked. */
const ANSWER_TIMEOUT_MS = 5000;

interface WindowClientLike {
  frameType?: string;
  focused?: boolean;
  visibilityState?: string;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

export interface WorkerGlobal extends EventTarget {
  registration: ServiceWorkerRegistration;
  clients: { matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<readonly WindowClientLike[]> };
}

/** What asking the windows gave: an answer, or why there is none. */
type Asked = CallAnswer | "no window" | "no page script";

class WindowForwarder {
  readonly #global: WorkerGlobal;

  constructor(global: WorkerGlobal) {
    this.#global = global;
  }

  /** Ask the focused window first, then the visible ones, then the rest, one at a time. */
  async ask(call: Omit<CallRequest, "syncward" | "cmd" | "scope">): Promise<Asked> {
    const windows = await this.#global.clients.matchAll({ type: "window", includeUncontrolled: true });
    if (windows.length === 0) return "no window";
    const rank = (c: WindowClientLike) => (c.focused ? 0 : c.visibilityState === "visible" ? 1 : 2);
    const message: CallRequest = { syncward: PROTOCOL, cmd: "call", scope: this.#global.registration.scope, ...call };
    for (const client of [...windows].sort((a, b) => rank(a) - rank(b))) {
      const answer = await request(client, message, ANSWER_TIMEOUT_MS);
      if (isCallAnswer(answer)) return answer;
    }
    return "no page script";
  }
}

/**
 * The value of a page's answer to `call`. A register() that the page performed waits for its
 * event until the worker confirms, a task after its own promise resolved (and so after the
 * app's reactions to it): the page's answer and the event travel apart and may arrive in
 * either order.
 */
function settle<T>(windows: WindowForwarder, call: Omit<CallRequest, "syncward" | "cmd" | "scope">, answer: CallAnswer): T | undefined {
  if ("native" in answer) throw new DOMException("The page left this call to a native API the worker does not have.", "UnknownError");
  if (!answer.ok) throw answerError(answer);
  if (call.op === "register") setTimeout(() => void windows.ask({ op: "resolved", kind: call.kind, tag: call.tag }), 0);
  return answer.value as T | undefined;
}

type Alone = "no window" | "no page script";

/**
 * One operation through the windows. `alone` answers when no window (or none running the page
 * script) can take it; `native` when the page leaves it to the engine's own API.
 */
async function forward<T>(
  windows: WindowForwarder,
  call: Omit<CallRequest, "syncward" | "cmd" | "scope">,
  native: (() => Promise<T>) | undefined,
  alone: (why: Alone) => Promise<T>,
): Promise<T> {
  const asked = await windows.ask(call);
  if (typeof asked === "string") return alone(asked);
  if (!("native" in asked)) return settle<T>(windows, call, asked) as T;
  if (!native) throw new DOMException("The page left this call to a native API the worker does not have.", "UnknownError");
  try {
    return await native();
  } catch (error) {
    if (!isDisabled(error)) throw error;
    const again = await windows.ask({ ...call, takeOver: true });
    if (typeof again === "string" || "native" in again) throw error;
    return settle<T>(windows, call, again) as T;
  }
}

/** register() with no window client to perform it. */
function refuse(why: Alone): Promise<never> {
  return Promise.reject(
    why === "no window" ? new DOMException(NO_WINDOW_OR_TAG_TOO_LONG, "InvalidAccessError") : new DOMException(NO_PAGE_SCRIPT, "UnknownError"),
  );
}

/**
 * getTags() with no page to ask: what syncward's store holds, plus what a native API holds
 * (only one of them has any, depending on who served the page).
 */
async function tagsAlone(global: WorkerGlobal, kind: Kind, native: (() => Promise<string[]>) | undefined): Promise<string[]> {
  const stored = await storedTags(global.registration.scope, kind);
  const nativeTags = native
    ? await native().catch((error: unknown) => {
        if (isDisabled(error)) return [];
        throw error;
      })
    : [];
  return [...new Set([...nativeTags, ...stored])];
}

/**
 * periodicSync.unregister() with no page to ask: no Agent runs, so the stored registration is
 * removed where the next Agent will look for it; a native API may hold the tag as well. It
 * resolves whether or not the tag existed, as the spec's unregister does.
 */
async function unregisterAlone(global: WorkerGlobal, tag: string, native: (() => Promise<void>) | undefined): Promise<void> {
  await removeStored({ kind: "periodic", scope: global.registration.scope, tag });
  await native?.().catch((error: unknown) => {
    if (!isDisabled(error)) throw error;
  });
}

/**
 * register()'s checks before any window is asked: a worker that is not yet active cannot
 * register (the spec's first check), nor can one without a top-level window of its origin.
 */
async function checked<T>(global: WorkerGlobal, kind: Kind, register: () => Promise<T>): Promise<T> {
  if (!global.registration.active) throw noActiveWorker(kind);
  if (!(await hasTopLevelWindow(global.clients))) return refuse("no window");
  return register();
}

function syncBackend(global: WorkerGlobal, windows: WindowForwarder, native: NativeSyncManager | undefined): SyncBackend {
  const kind: Kind = "one-shot";
  const nativeTags = native && (() => native.getTags());
  return {
    register: (tag) =>
      checked(global, kind, () => forward(windows, { op: "register", kind, tag }, native && (() => native.register(tag)), refuse)).then(() => undefined),
    getTags: () => forward(windows, { op: "getTags", kind }, nativeTags, () => tagsAlone(global, kind, nativeTags)).then((tags) => tags ?? []),
  };
}

function periodicBackend(global: WorkerGlobal, windows: WindowForwarder, native: NativePeriodicSyncManager | undefined): PeriodicSyncBackend {
  const kind: Kind = "periodic";
  const nativeTags = native && (() => native.getTags());
  const nativeUnregister = (tag: string) => native && (() => native.unregister(tag));
  return {
    register: (tag, minInterval) =>
      checked(global, kind, () =>
        forward(windows, { op: "register", kind, tag, minInterval }, native && (() => native.register(tag, { minInterval })), refuse),
      ).then(() => undefined),
    getTags: () => forward(windows, { op: "getTags", kind }, nativeTags, () => tagsAlone(global, kind, nativeTags)).then((tags) => tags ?? []),
    unregister: (tag) =>
      forward(windows, { op: "unregister", kind, tag }, nativeUnregister(tag), () => unregisterAlone(global, tag, nativeUnregister(tag))).then(() => undefined),
  };
}

/**
 * Make `registration.sync` / `registration.periodicSync` of this worker go through syncward,
 * and expose `SyncManager` / `PeriodicSyncManager`: at once where the worker has no native
 * API or the mode is "force"; where it has one, only once the native getTags() shows it
 * disabled, so that a worker with a working native API sees nothing of syncward.
 */
export function installWorkerSyncManagers(global: WorkerGlobal, mode: "auto" | "force"): void {
  const registration = global.registration;
  const prototype = Object.getPrototypeOf(registration) as object;
  const native = nativeGetters(prototype);
  const install = () => {
    const windows = new WindowForwarder(global);
    const sync = createSyncManager(syncBackend(global, windows, native.sync?.call(registration)));
    const periodicSync = createPeriodicSyncManager(periodicBackend(global, windows, native.periodicSync?.call(registration)));
    // A worker sees one registration of its own; any other keeps what the engine gives it,
    // and anything else (the prototype itself) is refused as the engine's getter refuses it.
    const managers = { sync, periodicSync };
    for (const name of ["sync", "periodicSync"] as const) {
      Object.defineProperty(prototype, name, {
        configurable: true,
        enumerable: true,
        get: attributeGetter(name, function (this: unknown) {
          if (this === registration) return managers[name];
          const getter = native[name];
          if (getter && this instanceof (registration.constructor as typeof ServiceWorkerRegistration)) return getter.call(this as ServiceWorkerRegistration);
          throw new TypeError("Illegal invocation");
        }),
      });
    }
    for (const [name, value] of [
      ["SyncManager", SyncManager],
      ["PeriodicSyncManager", PeriodicSyncManager],
    ] as const) {
      Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
    }
  };
  if (mode === "force" || !native.sync) install();
  else void nativeDisabled(native.sync, registration).then((disabled) => disabled && install());
}
