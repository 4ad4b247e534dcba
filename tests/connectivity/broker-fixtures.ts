// Real MQTT brokers for the tests: aedes in this process, and Debian's mosquitto as a child
// process on a free port with a generated config, stopped by its PID. Both can be killed and
// started again on the same port (retained messages are lost, as with a broker without
// persistence). A mosquitto that cannot start fails the test; it is never skipped.
import { spawn, type ChildProcess } from "node:child_process";
import { createConnection, createServer, type Socket } from "node:net";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";

export const MOSQUITTO = "/usr/sbin/mosquitto";

export interface BrokerFixture {
  readonly name: "aedes" | "mosquitto";
  readonly url: string;
  /** MQTT 5 where the broker speaks it. */
  readonly protocolVersion: 4 | 5;
  /** Kill the broker: connections drop without a goodbye. */
  kill(): Promise<void>;
  /** Start it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Wait (in real time) until `condition` holds; fail with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function startAedes(): Promise<BrokerFixture> {
  let port = 0;
  let running: { close(): Promise<void> } | undefined;
  const start = async () => {
    const broker = await Aedes.createBroker();
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    port = (server.address() as { port: number }).port;
    running = {
      close: async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => broker.close(() => r()));
        await closed;
      },
    };
  };
  await start();
  const kill = async () => {
    await running?.close();
    running = undefined;
  };
  return { name: "aedes", url: `mqtt://127.0.0.1:${port}`, protocolVersion: 4, kill, restart: start, stop: kill };
}

export async function startMosquitto(): Promise<BrokerFixture> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "syncward-mosquitto-"));
  const config = join(dir, "mosquitto.conf");
  await writeFile(config, [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_dest stderr", "log_type error", "log_type warning", ""].join("\n"));
  let child: ChildProcess | undefined;
  const start = async () => {
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
  };
  await start();
  const signalAndWait = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once("exit", () => r()));
    process.kill(proc.pid!, signal);
    await gone;
  };
  return {
    name: "mosquitto", url: `mqtt://127.0.0.1:${port}`, protocolVersion: 5,
    kill: () => signalAndWait("SIGKILL"),
    restart: start,
    stop: () => signalAndWait("SIGTERM"),
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}
