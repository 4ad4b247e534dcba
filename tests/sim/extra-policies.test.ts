// Scenario files may add policies beside the built-in four: the real Agent with a preset and
// overrides. An extra policy that is the kiosk policy under another name gives the kiosk's
// very figures, one that differs shows it, and the report, table and charts name them.
import t from "tap";
import { runShard } from "../../device-sim/fleet.js";
import { buildReport } from "../../device-sim/report.js";
import { reportHtml } from "../../device-sim/report-html.js";
import { reportTable } from "../../device-sim/report-table.js";
import { namedOverrides } from "../../device-sim/named-scenarios.js";
import { parseScenario, ScenarioError, scenarioToJson } from "../../device-sim/scenario.js";
import { smallScenario } from "./small-scenario.js";

const extraPolicies = {
  "kiosk-again": { preset: "kiosk" },
  "chromium-patient": { preset: "chromium", online: "link", retryAfter: false, policy: { maxAttempts: 12, jitter: "full" } },
};

t.test("an extra policy runs beside the built-in ones in the same world", async (t) => {
  const scenario = smallScenario("fleet-outage", {
    devices: 40,
    duration: "3h",
    fleet: [{ outage: "backend", at: "1h", for: "30m" }],
    extraPolicies,
  });
  t.same(scenario.policies, ["kiosk", "chromium", "workbox", "naive", "kiosk-again", "chromium-patient"], "without a list, every policy runs");
  const report = buildReport([await runShard(scenario, { index: 0, count: 1 })], 1);
  const byName = new Map(report.policies.map((p) => [p.policy, p]));
  t.same(
    report.policies.map((p) => p.policy),
    scenario.policies,
    "the report names each, in order",
  );
  const kiosk = byName.get("kiosk")!;
  const again = byName.get("kiosk-again")!;
  t.equal(again.registered, kiosk.registered, "the same messages");
  // Its own random streams draw other jitter and latencies, so the figures are close, not equal.
  t.equal(again.dropped, kiosk.dropped, "kiosk under another name drops what kiosk drops");
  t.equal(again.delivered + again.pending, kiosk.delivered + kiosk.pending, "and delivers or keeps the rest");
  const chromium = byName.get("chromium")!;
  const patient = byName.get("chromium-patient")!;
  t.ok(
    patient.droppedBy.attemptsExhausted < chromium.droppedBy.attemptsExhausted || chromium.droppedBy.attemptsExhausted === 0,
    `12 attempts drop less than 3 (${patient.droppedBy.attemptsExhausted} vs ${chromium.droppedBy.attemptsExhausted})`,
  );
  t.match(reportTable(report), /kiosk-again[\s\S]*chromium-patient/, "the table has a column for each");
  const html = reportHtml(report);
  t.match(html, /data-policy="chromium-patient"/, "the charts draw it");
  // The scenario round-trips through its file form, extra policies included.
  t.same(parseScenario(scenarioToJson(scenario), namedOverrides), scenario, "printed scenario reads back the same");
});

t.test("a list picks among built-in and extra policies; an extra policy alone matches its run beside others", async (t) => {
  const base = { devices: 30, duration: "2h", extraPolicies };
  const alone = smallScenario("store-wifi", { ...base, policies: ["chromium-patient"] });
  const beside = smallScenario("store-wifi", { ...base });
  const a = buildReport([await runShard(alone, { index: 0, count: 1 })], 1).policies;
  const b = buildReport([await runShard(beside, { index: 0, count: 1 })], 1).policies.filter((p) => p.policy === "chromium-patient");
  t.same(
    a.map((p) => p.policy),
    ["chromium-patient"],
  );
  t.same(a, b, "the same figures whichever policies run beside it");
});

t.test("bad extra policies: one line naming the problem", async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ kiosk: { preset: "kiosk" } }, /"kiosk" must be a new name/],
    [{ "Big Name": { preset: "kiosk" } }, /"Big Name" must be a new name of lowercase letters/],
    [{ x: {} }, /extraPolicies\.x needs a preset \(chromium, kiosk\)/],
    [{ x: { preset: "firefox" } }, /extraPolicies\.x\.preset must be one of chromium, kiosk/],
    [{ x: { preset: "kiosk", policy: { maxAttemps: 3 } } }, /unknown policy field extraPolicies\.x\.policy\.maxAttemps/],
    [{ x: { preset: "kiosk", policy: { jitter: "lots" } } }, /extraPolicies\.x\.policy\.jitter must be one of none, full/],
    [{ x: { preset: "kiosk", policy: { maxAttempts: "3" } } }, /extraPolicies\.x\.policy\.maxAttempts must be a number/],
    [{ x: { preset: "kiosk", online: "maybe" } }, /extraPolicies\.x\.online must be one of link, fused/],
    [{ x: { preset: "kiosk", speed: 3 } }, /unknown field extraPolicies\.x\.speed/],
  ];
  for (const [extra, reason] of cases) {
    const error = (() => {
      try {
        smallScenario(undefined, { extraPolicies: extra });
      } catch (e) {
        return e;
      }
    })();
    t.ok(error instanceof ScenarioError, `a ScenarioError: ${String(error)}`);
    t.match((error as Error).message, reason);
    t.notMatch((error as Error).message, /\n/, "one line");
  }
  t.throws(
    () => smallScenario(undefined, { extraPolicies, policies: ["kiosk", "nope"] }),
    /policies must be a list of distinct names from kiosk, chromium, workbox, naive, kiosk-again, chromium-patient/,
  );
});
