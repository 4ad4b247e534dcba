// Readiness, status and watchdog for systemd (a unit with Type=notify and WatchdogSec=). Node
// has no Unix datagram sockets, so each message goes through systemd's own systemd-notify;
// systemd then hears it from that helper rather than from the agent's PID, which is why the
// unit says NotifyAccess=all. Outside systemd (no NOTIFY_SOCKET) there is no notifier at all.

import { execFile } from "node:child_process";

export class SystemdNotifier {
  readonly #onProblem: (message: string) => void;
  readonly #watchdogMs: number | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #failed = false;

  private constructor(watchdogMs: number | undefined, onProblem: (message: string) => void) {
    this.#watchdogMs = watchdogMs;
    this.#onProblem = onProblem;
  }

  /** A notifier when systemd asked for one (NOTIFY_SOCKET), else undefined. */
  static fromEnvironment(env: NodeJS.ProcessEnv, onProblem: (message: string) => void): SystemdNotifier | undefined {
    if (!env.NOTIFY_SOCKET) return undefined;
    // WATCHDOG_PID names the process the watchdog is for; another PID means not this one.
    const ours = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    const usec = Number(env.WATCHDOG_USEC);
    return new SystemdNotifier(ours && usec > 0 ? usec / 1000 : undefined, onProblem);
  }

  /** The service is up: READY=1 with a status line; starts the watchdog pings if systemd wants them. */
  ready(status: string): void {
    this.#send("READY=1", `STATUS=${status}`);
    if (this.#watchdogMs === undefined) return;
    // Half the limit, as sd_watchdog_enabled(3) advises, so one late ping is not fatal.
    this.#watchdog = setInterval(() => this.#send("WATCHDOG=1"), this.#watchdogMs / 2);
    this.#watchdog.unref();
  }

  /** The service is stopping: no more watchdog pings. */
  stopping(): void {
    clearInterval(this.#watchdog);
    this.#send("STOPPING=1");
  }

  #send(...assignments: string[]): void {
    execFile("systemd-notify", [`--pid=${process.pid}`, ...assignments], (error) => {
      if (!error || this.#failed) return;
      // Said once: a watchdog that cannot ping would otherwise repeat it every few seconds.
      this.#failed = true;
      this.#onProblem(`cannot notify systemd (systemd-notify ${assignments[0]}): ${error.message.split("\n")[0]}`);
    });
  }
}
