// The IDL conformance test: checks generated from the specs' IDL (tests/browser/idl/), run in
// a window and in the service worker of each engine: WPE, WebKitGTK and Chromium with syncward's
// polyfill, and Chromium's native API, the reference. The polyfill must pass every check.
import t from "tap";
import { runIdlChecks } from "./idl/idl-checks.js";
import { idlPlan, type Context } from "./idl/idl-plan.js";
import { environment, inPage, type Mode } from "./environment.js";

const plan = idlPlan();
const modes: Mode[] = ["wpe-polyfill", "webkitgtk-polyfill", "chromium-polyfill", "chromium-native"];

for (const mode of modes) {
  t.test(mode, async (t) => {
    const env = await environment(t, mode);
    const of = (context: Context) => plan.filter((c) => c.context === context);
    const window = await env.app.eval(runIdlChecks, of("window"));
    const worker = await inPage.inWorker(env.server, env.app, runIdlChecks, of("service worker"));
    if (!worker.ok) throw new Error(`the checks failed to run in the worker: ${worker.name}: ${worker.message}`);
    const results = [...window.map((r) => ({ ...r, context: "window" })), ...worker.value.map((r) => ({ ...r, context: "service worker" }))];
    for (const r of results) t.ok(r.ok, `${r.context}: ${r.name}`, r.ok ? {} : { found: r.detail });
    t.comment(`${mode}: ${results.filter((r) => r.ok).length} of ${results.length} checks pass`);
  });
}
