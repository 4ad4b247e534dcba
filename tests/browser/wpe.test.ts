// The browser scenarios in WPE WebKit (Cog, headless, through WPEWebDriver) with syncward's
// polyfill: the embedded runtime syncward exists for. The outage is the backend's (the
// probe's target answers 503): WPE cannot emulate offline.
import t from "tap";
import { scenarios } from "./scenarios.js";

for (const scenario of scenarios) {
  if (scenario.modes && !scenario.modes.includes("wpe-polyfill")) continue;
  t.test(scenario.name, (t) => scenario.run(t, "wpe-polyfill"));
}
