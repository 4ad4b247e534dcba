// A command's flags, parsed strictly by node:util's parseArgs, except that a value starting
// with a minus and a digit is taken as the value it is. parseArgs alone refuses
// `--devices -5` as "argument is ambiguous", which tells the user nothing; given the value,
// the command's own check says what a good one is ("must be a whole number ≥ 1").

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./cli-usage.js";

type Parsed<T> = ReturnType<typeof parseArgs<T & { args: string[]; strict: true; allowPositionals: true }>>;

const NEGATIVE_NUMBER = /^-\d|^-\.\d/;

/** parseArgs with `strict: true` and `allowPositionals: true`; a bad flag is a one-line UsageError. */
export function parseFlags<T extends Omit<ParseArgsConfig, "args" | "strict" | "allowPositionals">>(args: string[], config: T): Parsed<T> {
  try {
    return parseArgs({ ...config, args: attachNegativeNumbers(args, config.options ?? {}), strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
}

/** `--flag -5` becomes `--flag=-5` when --flag takes a value. */
function attachNegativeNumbers(args: string[], options: NonNullable<ParseArgsConfig["options"]>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return [...out, ...args.slice(i)];
    const next = args[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === "string" && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
