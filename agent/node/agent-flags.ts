// `syncward agent`'s command line: its flags laid over the config file's JSON (with neither
// --config nor --sw, the default config file if there is one), and the result checked once
// by agent-config.ts. Paths given as flags are taken from the working directory, paths in
// the file from the file's directory.

import { resolve } from "node:path";
import { access } from "node:fs/promises";
import { defaultConfigPath, parseConfig, type AgentConfig } from "./agent-config.js";
import { UsageError } from "./cli-usage.js";
import { parseFlags } from "./command-flags.js";
import { readRawConfig } from "./config-file.js";

const OPTIONS = {
  config: { type: "string" },
  sw: { type: "string" },
  scope: { type: "string" },
  store: { type: "string" },
  preset: { type: "string" },
  probe: { type: "string" },
  "no-window-client": { type: "boolean" },
  log: { type: "string" },
  control: { type: "string" },
  http: { type: "string" },
  seed: { type: "string" },
  help: { type: "boolean", short: "h" },
  mqtt: { type: "string" },
  "no-mqtt": { type: "boolean" },
  "broker-port": { type: "string" },
  "mqtt-client-id": { type: "string" },
  "mqtt-username": { type: "string" },
  "mqtt-password-file": { type: "string" },
  "mqtt-credential-file": { type: "string" },
  "mqtt-ca": { type: "string" },
  "mqtt-cert": { type: "string" },
  "mqtt-key": { type: "string" },
  "mqtt-insecure": { type: "boolean" },
  "device-status": { type: "string" },
  "backend-status": { type: "string" },
  require: { type: "string" },
  settle: { type: "string" },
  "browser-origin": { type: "string", multiple: true },
  "browser-listen": { type: "string" },
  "browser-serve": { type: "string" },
  "browser-devtools": { type: "string" },
  "browser-launch": { type: "string" },
} as const;

type Flags = ReturnType<typeof parseFlags<{ options: typeof OPTIONS }>>["values"];

/** The agent's checked config from its arguments, or "help" for --help; bad ones throw. */
export async function agentConfigFromArgs(args: string[]): Promise<AgentConfig | "help"> {
  const { values, positionals } = parseFlags(args, { options: OPTIONS });
  if (values.help) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.sw === undefined) !== (values.scope === undefined)) throw new UsageError("--sw and --scope go together");
  if (values["no-mqtt"] && values.mqtt !== undefined) throw new UsageError("--mqtt and --no-mqtt exclude each other");
  if (values["browser-devtools"] !== undefined && values["browser-launch"] !== undefined)
    throw new UsageError("--browser-devtools and --browser-launch exclude each other: reach a browser's DevTools port, or launch one over a pipe");
  const { raw, baseDir } = await readRawConfig(values.config ?? (values.sw === undefined ? await existing(defaultConfigPath()) : undefined));
  applyAgentFlags(raw, values);
  applyMqttFlags(raw, values);
  applyConnectivityFlags(raw, values);
  applyBrowserFlags(raw, values);
  const config = parseConfig(raw, baseDir);
  if (config.serviceWorkers.length === 0 && !config.browser)
    throw new UsageError("no service worker: pass --sw FILE --scope URL, or serviceWorkers in --config, or browser origins (--browser-origin)");
  return config;
}

/** `path` if there is a file there. */
async function existing(path: string): Promise<string | undefined> {
  try {
    await access(path);
    return path;
  } catch {
    return undefined;
  }
}

/** A whole number given as a flag. */
function integerFlag(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

const here = (path: string) => resolve(process.cwd(), path);

function applyAgentFlags(raw: Record<string, unknown>, values: Flags): void {
  if (values.sw !== undefined)
    raw.serviceWorkers = [...(Array.isArray(raw.serviceWorkers) ? raw.serviceWorkers : []), { script: here(values.sw), scope: values.scope }];
  if (values.store !== undefined) raw.store = here(values.store);
  if (values.preset !== undefined) raw.preset = values.preset;
  if (values.probe !== undefined) raw.probe = values.probe;
  if (values["no-window-client"]) raw.windowClient = false;
  if (values.log !== undefined) raw.log = values.log;
  if (values.control !== undefined) raw.control = here(values.control);
  if (values.http !== undefined) raw.http = values.http;
  if (values.seed !== undefined) raw.seed = integerFlag(values.seed, "--seed");
  if (values["no-mqtt"]) raw.mqtt = false;
}

function applyMqttFlags(raw: Record<string, unknown>, values: Flags): void {
  const flags: Record<string, unknown> = {};
  if (values.mqtt !== undefined) flags.url = values.mqtt;
  if (values["broker-port"] !== undefined) flags.brokerPort = integerFlag(values["broker-port"], "--broker-port");
  if (values["mqtt-client-id"] !== undefined) flags.clientId = values["mqtt-client-id"];
  if (values["mqtt-username"] !== undefined) flags.username = values["mqtt-username"];
  if (values["mqtt-password-file"] !== undefined) flags.passwordFile = here(values["mqtt-password-file"]);
  if (values["mqtt-credential-file"] !== undefined) flags.credentialFile = here(values["mqtt-credential-file"]);
  for (const key of ["ca", "cert", "key"] as const) if (values[`mqtt-${key}`] !== undefined) flags[key] = here(values[`mqtt-${key}`]!);
  if (values["mqtt-insecure"]) flags.insecure = true;
  if (values["device-status"] !== undefined) flags.deviceStatus = values["device-status"];
  if (values["backend-status"] !== undefined) flags.backendStatus = values["backend-status"];
  if (Object.keys(flags).length === 0) return;
  if (raw.mqtt === false) throw new UsageError("MQTT flags given, but the config (or --no-mqtt) turns MQTT off");
  const base = typeof raw.mqtt === "string" ? { url: raw.mqtt } : typeof raw.mqtt === "object" && raw.mqtt !== null ? raw.mqtt : {};
  raw.mqtt = { ...base, ...flags };
}

function applyConnectivityFlags(raw: Record<string, unknown>, values: Flags): void {
  if (values.require === undefined && values.settle === undefined) return;
  const base = typeof raw.connectivity === "object" && raw.connectivity !== null ? raw.connectivity : {};
  raw.connectivity = {
    ...base,
    ...(values.require !== undefined
      ? {
          require: values.require
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== ""),
        }
      : {}),
    ...(values.settle !== undefined ? { settleMs: integerFlag(values.settle, "--settle") } : {}),
  };
}

function applyBrowserFlags(raw: Record<string, unknown>, values: Flags): void {
  const flags: Record<string, unknown> = {};
  if (values["browser-origin"] !== undefined) flags.origins = values["browser-origin"];
  if (values["browser-listen"] !== undefined) flags.listen = values["browser-listen"];
  if (values["browser-serve"] !== undefined) flags.serve = here(values["browser-serve"]);
  if (values["browser-devtools"] !== undefined) flags.devtools = values["browser-devtools"];
  if (values["browser-launch"] !== undefined) flags.launch = commandWords(values["browser-launch"], "--browser-launch");
  if (Object.keys(flags).length === 0) return;
  const base = typeof raw.browser === "object" && raw.browser !== null ? raw.browser : {};
  raw.browser = { ...base, ...flags };
}

/**
 * A command line given as one flag, split into words as a shell would at spaces: quotes
 * ('…' or "…") keep spaces in a word, a backslash keeps the next character; nothing else of
 * a shell (no variables, no globs).
 */
function commandWords(value: string, flag: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\" && i + 1 < value.length) word = (word ?? "") + value[++i];
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (quote) throw new UsageError(`${flag} has an unclosed ${quote}`);
  if (word !== undefined) words.push(word);
  if (words.length === 0) throw new UsageError(`${flag} needs the browser's command, e.g. "/usr/bin/chromium --kiosk http://localhost:8080/"`);
  return words;
}
