// SIGKILL a real `syncward agent` over a workload that registers, fires, fails, retries and
// writes worker storage (harness/agent-kills.ts): no registration whose register() resolved
// and no delivery whose IndexedDB transaction completed is ever lost, and at the end every
// registration is delivered. SYNCWARD_AGENT_KILLS sets
// the number of kills (default 200; `npm run bench:crash` runs 1,000).
import t from "tap";
import { killAgentRepeatedly } from "./harness/agent-kills.js";

const KILLS = Number(process.env.SYNCWARD_AGENT_KILLS ?? 200);
// An agent's start is 0.5-2 s on two busy cores: past tap's default per file.
t.setTimeout(Math.max(120_000, KILLS * 5_000));

t.test(`${KILLS} SIGKILLs of syncward agent: every resolved register() and every completed delivery survives`, async (t) => {
  const began = performance.now();
  const f = await killAgentRepeatedly(KILLS);
  t.comment(
    `${f.kills} kills in ${Math.round((performance.now() - began) / 1000)} s: ${f.registrations} registrations (${f.registrationChecks} checks), ${f.records} deliveries (${f.recordChecks} checks), ${f.duplicates} delivered twice`,
  );
  t.equal(f.kills, KILLS);
  t.equal(f.survived, KILLS, "every kill survived: the next report found nothing lost");
  t.equal(f.lostRegistrations, 0, `no resolved registration lost; ${f.examples.join("; ")}`);
  t.equal(f.lostRecords, 0, `no completed delivery lost; ${f.examples.join("; ")}`);
  t.equal(f.undelivered, 0, `the last run delivered every registration; ${f.examples.join("; ")}`);
  t.equal(f.repeatedInOneRun, 0, "the last run, which nobody kills, delivered each once");
  t.ok(f.registrations >= KILLS && f.records >= KILLS / 2, "the workload registered and delivered under the kills");
});
