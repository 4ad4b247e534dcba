#!/usr/bin/env node
// The `syncward` command: `syncward agent` runs service workers with Background Sync on this
// device; `syncward net` and `syncward sync` talk to a running agent; `syncward sim`
// simulates a fleet. Bad flags and bad config end with one line and exit 2; a runtime
// failure exits 1; SIGTERM and SIGINT flush the store and exit 0.

import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../agent/node/agent-config.js";
import { GLOBAL_HELP, UsageError } from "../agent/node/cli-usage.js";
import { runNet } from "../agent/node/net-command.js";
import { runSync } from "../agent/node/sync-command.js";
import { packageVersion } from "../agent/node/package-version.js";

/** Run the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      process.stdout.write(GLOBAL_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-v") {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    // Loaded only for `agent`: `net` and `sync` answer sooner without its modules (MQTT, the store).
    if (command === "agent") return await (await import("../agent/node/agent-command.js")).runAgent(rest);
    if (command === "net") return await runNet(rest);
    if (command === "sync") return await runSync(rest);
    if (command === "sim") return await (await import("../device-sim/cli.js")).main(rest);
    throw new UsageError(`unknown command "${command}" (try: syncward --help)`);
  } catch (error) {
    process.stderr.write(`syncward: ${(error as Error).message}\n`);
    return error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
  }
}

const invoked = process.argv[1];
if (invoked && import.meta.url === pathToFileURL(realpathSync(invoked)).href) {
  const code = await main(process.argv.slice(2));
  // Exit once stdout has drained: a pipe takes 64 KiB at a time, and exiting earlier cuts a
  // long answer (a status with thousands of registrations, a simulator's --json) short.
  process.stdout.write("", () => process.exit(code));
}
