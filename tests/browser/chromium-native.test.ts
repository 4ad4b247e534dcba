// The browser scenarios against Chromium's own Background Sync: the reference for the
// polyfill runs. syncward's page and worker scripts are loaded (mode "auto") and must stay
// out of the way: every call goes to the native API.
import t from "tap";
import { scenarios } from "./scenarios.js";

for (const scenario of scenarios) {
  if (scenario.modes && !scenario.modes.includes("chromium-native")) continue;
  t.test(scenario.name, (t) => scenario.run(t, "chromium-native"));
}
