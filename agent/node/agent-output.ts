// What a running `syncward agent` prints: Background Service events, its own notes and the
// workers' console on stdout, one line each; problems (and the workers' console.error) on
// stderr. With `--log json` every line on both is one JSON object: events in DevTools' shape,
// the rest {timestamp, event, …}, timestamps in seconds since the epoch throughout.

import { Console } from "node:console";
import { Writable } from "node:stream";
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
    this.#write(
      this.#json
        ? jsonRecord(what, fields)
        : `${clockTime()} ${what} ${Object.entries(fields)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(" ")}`,
    );
  };

  /** A connectivity message. */
  readonly say = (message: string): void => {
    this.#write(this.#json ? jsonRecord("connectivity", { message }) : `${clockTime()} ${message}`);
  };

  /** A problem, on stderr. */
  readonly problem = (message: string): void => {
    process.stderr.write(this.#json ? `${jsonRecord("problem", { message })}\n` : `syncward: ${message}\n`);
  };

  /** The console of the worker at `scope`: the process's own in text, JSON lines in json. */
  readonly workerConsole = (scope: string): Console => {
    if (!this.#json) return console;
    const lines = (stream: NodeJS.WriteStream, level: string) =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          stream.write(`${jsonRecord("console", { level, scope, message: chunk.toString("utf8").replace(/\n$/, "") })}\n`);
          done();
        },
      });
    return new Console({ stdout: lines(process.stdout, "log"), stderr: lines(process.stderr, "error") });
  };

  /**
   * Keep the agent up through what is not its fault, until the returned function is called: a
   * service worker's stray error is reported, not fatal; and when whoever read the log went
   * away (EPIPE) it keeps syncing and stops logging. Unhandled, each failed write became an
   * uncaught error whose report failed in turn, and the agent spun on that.
   */
  guardProcess(): () => void {
    const stray = (error: unknown) =>
      this.problem(`uncaught error in a service worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
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

function jsonRecord(event: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: Date.now() / 1000, event, ...fields });
}

function clockTime(): string {
  return new Date().toISOString().slice(11, 23);
}
