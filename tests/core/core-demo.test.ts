// `npm run demo:core` tells the truth about its own timeline: when it says the first attempt
// after the outage is spread to a time, the event is dispatched at that time; when it says
// nothing, the event goes at once.
import t from "tap";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const demo = fileURLToPath(new URL("../../build/dist/wasm-core/demo/core-demo.js", import.meta.url));

for (const preset of ["chromium", "kiosk"]) {
  t.test(`preset ${preset}`, async (t) => {
    const r = spawnSync(process.execPath, [demo, preset], { encoding: "utf8", timeout: 20_000 });
    t.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split("\n");
    const back = lines.findIndex((l) => /^\d\d:\d\d:\d\d {2}network: online/.test(l) && !l.startsWith("00:00:00"));
    t.ok(back > 0, "the uplink comes back");
    const dispatched = lines.slice(back).find((l) => l.includes("Dispatched sync event"));
    t.ok(dispatched, "and the registration is dispatched");
    const spread = / first attempt spread to (\d\d:\d\d:\d\d)$/.exec(lines[back]!)?.[1];
    const expected = spread ?? lines[back]!.slice(0, 8);
    t.equal(dispatched!.slice(0, 8), expected, `${lines[back]} / ${dispatched}`);
  });
}
