// The agent's config file read as a JSON object, before any field is checked: flags go on
// top of it first, then agent-config.ts checks the result once.

import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigError, parseConfig, type AgentConfig } from "./agent-config.js";

export interface RawConfig {
  raw: Record<string, unknown>;
  /** Relative paths in the file are taken from its directory. */
  baseDir: string;
}

/** The file's JSON object; no file gives an empty one based in the working directory. */
export async function readRawConfig(file: string | undefined): Promise<RawConfig> {
  if (file === undefined) return { raw: {}, baseDir: process.cwd() };
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError("the config must be a JSON object");
  return { raw: raw as Record<string, unknown>, baseDir: dirname(file) };
}

/** The file checked, with nothing on top. */
export async function readConfig(file: string | undefined): Promise<AgentConfig> {
  const { raw, baseDir } = await readRawConfig(file);
  return parseConfig(raw, baseDir);
}
