// What a running `syncward agent` prints: Background Service events and its own notes on
// stdout, one line each, as text or as JSON (`--log json`); problems on stderr.

import { jsonLine, textLine, type BackgroundServiceEvent } from "../log.js";

export class AgentOutput {
  readonly #json: boolean;

  constructor(format: "text" | "json") {
    this.#json = format === "json";
  }

  /** A Background Service event ("Registered sync", "Dispatched sync event", …). */
  readonly event = (event: BackgroundServiceEvent): void => {
    this.#write(this.#json ? jsonLine(event) : textLine(event));
  };

  /** One of the agent's own events with its fields, e.g. `network online=true reason=…`. */
  readonly note = (what: string, fields: Record<string, unknown>): void => {
    this.#write(this.#json
      ? JSON.stringify({ timestamp: Date.now(), event: what, ...fields })
      : `${clockTime()} ${what} ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`);
  };

  /** A connectivity message. */
  readonly say = (message: string): void => {
    this.#write(this.#json ? JSON.stringify({ timestamp: Date.now(), event: "connectivity", message }) : `${clockTime()} ${message}`);
  };

  /** A problem, on stderr. */
  readonly problem = (message: string): void => {
    process.stderr.write(`syncward: ${message}\n`);
  };

  /**
   * Keep the agent up through what is not its fault, until the returned function is called: a
   * service worker's stray error is reported, not fatal; and when whoever read the log went
   * away (EPIPE) it keeps syncing and stops logging. Unhandled, each failed write became an
   * uncaught error whose report failed in turn, and the agent spun on that.
   */
  guardProcess(): () => void {
    const stray = (error: unknown) => this.problem(`uncaught error in a service worker: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    const ignore = () => {};
    process.on("uncaughtException", stray);
    process.on("unhandledRejection", stray);
    for (const stream of [process.stdout, process.stderr]) stream.on("error", ignore);
    return () => {
      process.off("uncaughtException", stray);
      process.off("unhandledRejection", stray);
    };
  }

  #write(line: string): void {
    process.stdout.write(line + "\n");
  }
}

function clockTime(): string {
  return new Date().toISOString().slice(11, 23);
}
