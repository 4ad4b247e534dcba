// The device's side of a kiosk for the browser tests and the benchmark: a real `syncward
// agent` process with its embedded MQTT broker (aedes), the page bridge on loopback for one
// allowed origin, and the firmware's stand-in that publishes the device status (retained) on
// that broker with the agent's generated credential. Kill and restart keep the store, the
// broker's port and the bridge's port, as a device's agent restarted by systemd would.

import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { freePort } from "./free-port.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { cli, start, type Running } from "../../cli/cli-process.js";

export const DEVICE_STATUS = "kiosk-1/net/status";

export class DeviceAgent {
  readonly #dir: string;
  readonly #args: string[];
  readonly bridge: { url: string; token: string };
  readonly #brokerPort: number;
  #running: Running;
  /** The firmware's MQTT client, kept connected between publications (ended at a restart: the broker goes with the agent). */
  #firmware: mqtt.MqttClient | undefined;

  private constructor(dir: string, args: string[], running: Running, bridge: { url: string; token: string }, brokerPort: number) {
    this.#dir = dir;
    this.#args = args;
    this.#running = running;
    this.bridge = bridge;
    this.#brokerPort = brokerPort;
  }

  /**
   * Start an agent that lets `origin`'s pages in (undefined: only those of the app it serves,
   * with --browser-serve in `extra`); `extra` flags go last (e.g. --settle 0).
   */
  static async start(origin: string | undefined, extra: string[] = []): Promise<DeviceAgent> {
    const dir = await mkdtemp(join(tmpdir(), "syncward-device-"));
    const [brokerPort, bridgePort] = [await freePort(), await freePort()];
    const args = [
      ...(origin ? ["--browser-origin", origin] : []),
      ...["--browser-listen", `127.0.0.1:${bridgePort}`],
      ...["--store", join(dir, "registrations"), "--control", join(dir, "control.sock")],
      ...["--broker-port", String(brokerPort), "--device-status", DEVICE_STATUS],
      ...extra,
    ];
    const running = start(args);
    await running.waitFor(/page bridge url=/).catch(async (error: Error) => {
      running.child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw error;
    });
    const token = (await readFile(join(dir, "bridge-token"), "utf8")).trim();
    return new DeviceAgent(dir, args, running, { url: `ws://127.0.0.1:${bridgePort}/syncward/bridge`, token }, brokerPort);
  }

  get lines(): string[] {
    return this.#running.lines;
  }

  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string> {
    return this.#running.waitFor(pattern, timeoutMs);
  }

  /** The firmware publishes the device's status, retained, as `online` or `offline`. */
  async deviceStatus(online: boolean): Promise<void> {
    if (!this.#firmware) {
      const [username, password] = (await readFile(join(this.#dir, "broker-credential"), "utf8")).trim().split(":");
      this.#firmware = await mqtt.connectAsync(`mqtt://127.0.0.1:${this.#brokerPort}`, { username, password, reconnectPeriod: 0 });
    }
    await this.#firmware.publishAsync(DEVICE_STATUS, online ? "online" : "offline", { retain: true, qos: 1 });
  }

  /** `syncward sync list --json`. */
  list(): { scope: string; tag: string; state: string; attempts: number; runsIn: string }[] {
    const r = spawnSync(process.execPath, [cli, "sync", "list", "--json", "--control", join(this.#dir, "control.sock")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`sync list failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as ReturnType<DeviceAgent["list"]>;
  }

  /** SIGKILL: no flush, no goodbye, as a crash or a power cut of the agent alone. */
  async kill(): Promise<void> {
    await this.#firmware?.endAsync(true);
    this.#firmware = undefined;
    const child = this.#running.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Start again on the same store and ports (its embedded broker starts empty: the firmware publishes again). */
  async restart(): Promise<void> {
    await this.kill();
    this.#running = start(this.#args);
    await this.#running.waitFor(/page bridge url=/);
  }

  async close(): Promise<void> {
    await this.kill();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
