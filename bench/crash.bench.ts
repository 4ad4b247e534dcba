// npm run bench:crash — 1,000 SIGKILLs of a real `syncward agent` over a workload that
// registers, fires, fails, retries and writes worker storage (tests/cli/harness/agent-kills.ts):
// kills survived, registrations and delivery records checked, promises lost (the goal is 0),
// and deliveries made twice (at-least-once: a kill between the worker's commit and the agent's
// record of the event's success). SYNCWARD_BENCH_KILLS changes the count. Figures are printed,
// never asserted.

import { performance } from "node:perf_hooks";
import { killAgentRepeatedly } from "../tests/cli/harness/agent-kills.js";

const kills = Number(process.env.SYNCWARD_BENCH_KILLS ?? 1000);
const fmt = (n: number) => n.toLocaleString("en-US");
const report = (name: string, value: string) => console.log(`${name.padEnd(56)} ${value}`);

console.log(`syncward crash benchmark: ${fmt(kills)} SIGKILLs of syncward agent (Node ${process.version})\n`);
const began = performance.now();
const f = await killAgentRepeatedly(kills);
const seconds = (performance.now() - began) / 1000;
report("kills", `${fmt(f.kills)} in ${fmt(Math.round(seconds))} s (${(seconds / f.kills).toFixed(2)} s each)`);
report("kills survived (nothing lost at the next report)", fmt(f.survived));
report("registrations checked", `${fmt(f.registrations)} resolved register() calls, ${fmt(f.registrationChecks)} checks`);
report("records checked", `${fmt(f.records)} completed deliveries, ${fmt(f.recordChecks)} checks`);
report("lost (goal 0)", `${fmt(f.lostRegistrations)} registrations, ${fmt(f.lostRecords)} records${f.examples.length ? `: ${f.examples.join("; ")}` : ""}`);
report("registrations never delivered (goal 0)", fmt(f.undelivered));
report("delivered twice within the unkilled last run (goal 0)", fmt(f.repeatedInOneRun));
report("duplicated deliveries", `${fmt(f.duplicates)} (${((f.duplicates / Math.max(1, f.records)) * 100).toFixed(2)} % of the deliveries)`);
