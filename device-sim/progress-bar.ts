// A progress bar on stderr while a run goes: virtual time done across all shards, device-
// hours per second so far, and an estimate of the time left from the share done and the wall
// time it took. Drawn in place on a terminal; silent when stderr is not one (logs and CI
// stay clean).

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #deviceHours: number;
  readonly #started = performance.now();
  #drawn = 0;
  #enabled: boolean;

  constructor(stream: NodeJS.WriteStream, deviceHours: number, enabled = stream.isTTY === true) {
    this.#stream = stream;
    this.#deviceHours = deviceHours;
    this.#enabled = enabled;
  }

  /** The run has done `done` (0–1) of its virtual time. */
  update(done: number): void {
    const now = performance.now();
    if (!this.#enabled || now - this.#drawn < 100) return;
    this.#drawn = now;
    const seconds = (now - this.#started) / 1000;
    const width = 30;
    const filled = Math.round(done * width);
    const rate = seconds > 0 ? (done * this.#deviceHours) / seconds : 0;
    const left = done > 0 ? seconds * (1 / done - 1) : NaN;
    const eta = Number.isFinite(left) ? ` ~${Math.ceil(left)} s left` : "";
    const speed = this.#deviceHours > 0 ? `  ${Math.round(rate).toLocaleString("en-US")} device-h/s` : "";
    this.#stream.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(done * 100).toFixed(0).padStart(3)}%${speed}${eta}   `);
  }

  /** Clear the bar's line. */
  end(): void {
    if (this.#enabled && this.#drawn > 0) this.#stream.write(`\r${" ".repeat(78)}\r`);
    this.#enabled = false;
  }
}
