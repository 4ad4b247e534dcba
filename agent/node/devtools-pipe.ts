// DevTools messages over the pipes of `--remote-debugging-pipe`: Chromium reads commands on its
// fd 3 and writes answers and events on its fd 4, each message JSON text ended by a NUL byte.
// Pipes keep no message boundaries, so what arrives is split at the NULs whatever the chunks
// (a message may come in many, several in one, a UTF-8 character cut between two).

import type { Readable, Writable } from "node:stream";
import type { DevToolsTransport } from "./devtools-transport.js";

/** Chromium's own cap on a DevTools message; a longer run without NUL is dropped with a log line. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export class DevToolsPipe implements DevToolsTransport {
  readonly #commands: Writable;
  readonly #answers: Readable;
  readonly #log: (line: string) => void;
  readonly closed: Promise<void>;
  /** Bytes of the message not ended yet. */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  /** Set while the rest of a message too long to keep is let pass. */
  #skipping = false;
  #early: string[] | undefined = [];
  #receive: (message: string) => void = (message) => this.#early?.push(message);
  #open = true;

  /** `commands`: the browser's fd 3; `answers`: its fd 4. Pipe errors are `log` lines and end the transport. */
  constructor(commands: Writable, answers: Readable, log: (line: string) => void) {
    this.#commands = commands;
    this.#answers = answers;
    this.#log = log;
    answers.on("data", (chunk: Buffer) => this.#take(chunk));
    this.closed = new Promise((resolve) => {
      const end = () => {
        this.#open = false;
        resolve();
      };
      answers.once("close", end);
      commands.once("close", end);
    });
    for (const stream of [commands, answers])
      stream.on("error", (error: NodeJS.ErrnoException) => {
        // The browser is gone: the close that follows says so, and its exit why.
        if (error.code !== "EPIPE" && error.code !== "ECONNRESET") log(`DevTools pipe: ${error.message}`);
        this.#destroy();
      });
  }

  get open(): boolean {
    return this.#open;
  }

  send(message: string): void {
    if (this.#open) this.#commands.write(`${message}\0`);
  }

  onMessage(receive: (message: string) => void): void {
    this.#receive = receive;
    for (const message of this.#early?.splice(0) ?? []) receive(message);
    this.#early = undefined;
  }

  close(): Promise<void> {
    this.#destroy();
    return this.closed;
  }

  #destroy(): void {
    this.#commands.destroy();
    this.#answers.destroy();
  }

  #take(chunk: Buffer): void {
    for (let end = chunk.indexOf(0); end >= 0; end = chunk.indexOf(0)) {
      this.#partial.push(chunk.subarray(0, end));
      const message = Buffer.concat(this.#partial).toString("utf8");
      const skipped = this.#skipping;
      this.#partial = [];
      this.#partialBytes = 0;
      this.#skipping = false;
      chunk = chunk.subarray(end + 1);
      if (!skipped) this.#receive(message);
    }
    if (chunk.length === 0 || this.#skipping) return;
    this.#partialBytes += chunk.length;
    if (this.#partialBytes > MAX_MESSAGE_BYTES) {
      this.#log(`ignored a DevTools message longer than ${MAX_MESSAGE_BYTES} bytes`);
      this.#partial = [];
      this.#partialBytes = 0;
      this.#skipping = true;
      return;
    }
    this.#partial.push(chunk);
  }
}
