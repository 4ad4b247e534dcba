// The IDL conformance test: checks generated from the specs' IDL (tests/browser/idl/), run in
// a window, the service worker, a dedicated and a shared worker of each engine: WPE, WebKitGTK
// and Chromium with syncward's polyfill, and Chromium's native API, the reference. The polyfill
// must pass every check. A check that needs a registration is skipped where none is reachable
// (Chromium gives dedicated and shared workers no navigator.serviceWorker).
import t from "tap";
import { runIdlChecks, type CheckResult } from "./idl/idl-checks.js";
import { idlPlan, type Context } from "./idl/idl-plan.js";
import { environment, inPage, type Mode, type Settled } from "./environment.js";

const plan = idlPlan();
const modes: Mode[] = ["wpe-polyfill", "webkitgtk-polyfill", "chromium-polyfill", "chromium-native"];

for (const mode of modes) {
  t.test(mode, async (t) => {
    const env = await environment(t, mode);
    const of = (context: Context) => plan.filter((c) => c.context === context);
    const settled = (context: Context, result: Settled<CheckResult[]>) => {
      if (!result.ok) throw new Error(`the checks failed to run in the ${context}: ${result.name}: ${result.message}`);
      return result.value.map((r) => ({ ...r, context }));
    };
    const results = [
      ...(await env.app.eval(runIdlChecks, of("window"))).map((r) => ({ ...r, context: "window" })),
      ...settled("service worker", await inPage.inWorker(env.server, env.app, runIdlChecks, of("service worker"))),
      ...settled("dedicated worker", await inPage.inClientWorker(env.app, "dedicated worker", runIdlChecks, of("dedicated worker"))),
      ...settled("shared worker", await inPage.inClientWorker(env.app, "shared worker", runIdlChecks, of("shared worker"))),
    ];
    for (const r of results) t.ok(r.ok, `${r.context}: ${r.name}`, r.skip ? { skip: r.skip } : r.ok ? {} : { found: r.detail });
    const skipped = results.filter((r) => r.skip).length;
    t.comment(
      `${mode}: ${results.filter((r) => r.ok && !r.skip).length} of ${results.length - skipped} checks pass (${skipped} skipped: no registration reachable)`,
    );
  });
}
