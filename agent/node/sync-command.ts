// `syncward sync list` and `syncward sync fire TAG`: a running agent's registrations, and a
// sync event fired by hand, over its control socket.

import type { RegistrationStatus } from "../agent.js";
import { SYNC_HELP, UsageError } from "./cli-usage.js";
import { parseFlags } from "./command-flags.js";
import { readConfig } from "./config-file.js";
import { defaultControlPath, sendControl } from "./control-socket.js";
import type { LastFailure } from "./last-failures.js";
import { MANUAL_EVENT_TIMEOUT_MS, type ManualSyncResult } from "./manual-sync.js";

/** `runsIn`: "node", or "browser (bridge)" and the like for a browser-hosted worker, "browser (not connected)" while none is attached. */
type Listed = RegistrationStatus & { runsIn: string; lastFailure: LastFailure | null };

/** Run `syncward sync ARGS`; resolves with the exit code. */
export async function runSync(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    options: {
      control: { type: "string" },
      config: { type: "string" },
      scope: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(SYNC_HELP);
    return 0;
  }
  const [action, tag, extra] = positionals;
  const path = async () => values.control ?? (values.config ? (await readConfig(values.config)).control : defaultControlPath());
  if (action === "list" && tag === undefined) {
    if (values.scope !== undefined) throw new UsageError("--scope goes with sync fire");
    const { registrations } = (await sendControl(await path(), { cmd: "status" })) as { registrations: Listed[] };
    process.stdout.write(values.json ? `${JSON.stringify(registrations, null, 2)}\n` : table(registrations, Date.now()));
    return 0;
  }
  if (action === "fire" && tag !== undefined && extra === undefined) {
    if (values.json) throw new UsageError("--json goes with sync list");
    // The answer comes once the event has ended, which may take up to its time limit.
    const request = { cmd: "fire" as const, tag, ...(values.scope !== undefined ? { scope: values.scope } : {}) };
    const fired = (await sendControl(await path(), request, MANUAL_EVENT_TIMEOUT_MS + 15_000)) as ManualSyncResult;
    const reason = fired.outcome === "undelivered" ? "no worker took it (the browser is not connected)" : (fired.reason ?? "failed");
    const failure = fired.outcome === "success" ? "" : `  Failure Reason: ${reason}`;
    process.stdout.write(`sync event ${fired.outcome === "success" ? "completed" : "failed"}  tag=${fired.tag}  scope=${fired.scope}${failure}\n`);
    return fired.outcome === "success" ? 0 : 1;
  }
  throw new UsageError("syncward sync needs: list, or fire TAG");
}

/** One line per registration under a header, by origin: an origin's name heads its first line only. */
function table(registrations: Listed[], now: number): string {
  if (registrations.length === 0) return "no registrations\n";
  const rows = [["ORIGIN", "RUNS IN", "SCOPE", "TAG", "KIND", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST FAILURE"]];
  const byOrigin = registrations
    .map((r) => ({ ...r, origin: new URL(r.scope).origin }))
    .sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  byOrigin.forEach((r, i) => {
    const next = r.delayUntil > now ? new Date(r.delayUntil).toISOString() : "-";
    const failure = r.lastFailure ? `${new Date(r.lastFailure.at).toISOString()} ${r.lastFailure.reason}` : "-";
    const origin = i > 0 && byOrigin[i - 1]!.origin === r.origin ? "" : r.origin;
    rows.push([origin, r.runsIn, r.scope, r.tag, r.kind, r.state, String(r.attempts), next, failure]);
  });
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}
