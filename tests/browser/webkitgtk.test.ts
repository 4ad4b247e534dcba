// The browser scenarios in WebKitGTK 2.50 (MiniBrowser under a private Xvfb, through
// WebKitWebDriver) with syncward's polyfill: the current upstream WebKit, next to WPE 2.38.
// As in WPE, the outage is the backend's (the probe's target answers 503).
import t from "tap";
import { scenarios } from "./scenarios.js";

for (const scenario of scenarios) {
  if (scenario.modes && !scenario.modes.includes("webkitgtk-polyfill")) continue;
  t.test(scenario.name, (t) => scenario.run(t, "webkitgtk-polyfill"));
}
