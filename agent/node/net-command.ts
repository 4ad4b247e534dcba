// `syncward net offline|online|auto|status`: one request to a running agent over its control
// socket, and its answer as JSON.

import { NET_HELP, UsageError } from "./cli-usage.js";
import { parseFlags } from "./command-flags.js";
import { readConfig } from "./config-file.js";
import { defaultControlPath, sendControl } from "./control-socket.js";

const ACTIONS = ["offline", "online", "auto", "status"] as const;

/** Run `syncward net ARGS`; resolves with the exit code. */
export async function runNet(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    options: { control: { type: "string" }, config: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(NET_HELP);
    return 0;
  }
  const [action, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) throw new UsageError("syncward net needs one of: offline, online, auto, status");
  const path = values.control ?? (values.config ? (await readConfig(values.config)).control : defaultControlPath());
  const request = action === "status" ? { cmd: "status" as const } : { cmd: "net" as const, set: action as "offline" | "online" | "auto" };
  const result = await sendControl(path, request);
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  return 0;
}
