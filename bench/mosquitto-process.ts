// Debian's mosquitto as a child process for the connectivity benchmark and tests: a generated
// config on a free loopback port, started and stopped by its PID. Not part of the product.

import { spawn, type ChildProcess } from "node:child_process";
import { createConnection, createServer } from "node:net";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MOSQUITTO = "/usr/sbin/mosquitto";

export interface MosquittoProcess {
  readonly url: string;
  readonly port: number;
  /** Start it (again) on the same port; rejects if it exits or does not listen within 10 s. */
  start(): Promise<void>;
  /** Signal it (SIGKILL: a crash, SIGTERM: a clean stop) and wait until it is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A mosquitto ready to start on a free port, without persistence (a restart loses retained messages). */
export async function mosquittoProcess(): Promise<MosquittoProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "syncward-mosquitto-"));
  const config = join(dir, "mosquitto.conf");
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "max_queued_messages 10000",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async start() {
      const proc = spawn(MOSQUITTO, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
      child = proc;
      let stderr = "";
      proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<string>((resolve) => {
        proc.once("error", (e) => resolve(`cannot run ${MOSQUITTO}: ${e.message}`));
        proc.once("exit", (code, signal) => resolve(`mosquitto exited (${code ?? signal}) before it listened: ${stderr.trim()}`));
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const failed = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 50, undefined))]);
        if (failed !== undefined) throw new Error(failed);
        if (await listening(port)) return;
        if (Date.now() > deadline) {
          proc.kill("SIGKILL");
          throw new Error(`mosquitto did not listen on ${port} within 10 s: ${stderr.trim()}`);
        }
      }
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once("exit", () => r()));
      process.kill(proc.pid!, signal);
      await gone;
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
