// syncward's worker script (dist/sw.js): `importScripts("/syncward/sw.js")` in a classic
// worker or `import "/syncward/sw.js"` in a module worker, before the app's own listeners.
// It gives the worker SyncEvent, PeriodicSyncEvent, onsync and onperiodicsync where missing,
// runs the listeners when the page's Agent fires an event, and routes
// `self.registration.sync` / `periodicSync` through the page where the worker has no working
// native API. `self.syncwardConfig = { mode: "force" }` before the import makes it do so
// over a working native API too, as the page's config does for the page (the demo's worker
// imports the page's config file for that).

import { installWorkerEvents } from "./worker-events.js";
import { serveFireRequests } from "./fire-requests.js";
import { answerWindowQueries } from "./top-level-window.js";
import { installWorkerSyncManagers, type WorkerGlobal } from "./worker-sync-managers.js";

const global = globalThis as unknown as WorkerGlobal & { ExtendableEvent?: new (type: string) => Event; syncwardConfig?: { mode?: unknown } };
const report = (line: string) => console.warn(`syncward: ${line}`);

if (typeof global.registration === "object" && global.registration !== null && typeof global.clients === "object") {
  installWorkerEvents(global);
  serveFireRequests(global, report);
  answerWindowQueries(global, report);
  installWorkerSyncManagers(global, global.syncwardConfig?.mode === "force" ? "force" : "auto");
} else {
  report("sw.js belongs in a service worker (dedicated and shared workers load worker.js); it did nothing here");
}
