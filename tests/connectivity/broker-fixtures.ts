// Real MQTT brokers for the tests: aedes in this process, and Debian's mosquitto as a child
// process on a free port with a generated config, stopped by its PID. Both can be killed and
// started again on the same port (retained messages are lost, as with a broker without
// persistence). A mosquitto that cannot start fails the test; it is never skipped.
import { startEmbeddedBroker, type EmbeddedBroker } from "../../agent/node/embedded-broker.js";
import { mosquittoProcess } from "../../agent/bench/mosquitto-process.js";

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

/** aedes as `syncward agent` embeds it. */
export async function startAedes(): Promise<BrokerFixture> {
  let running: EmbeddedBroker | undefined = await startEmbeddedBroker({ port: 0 });
  const port = running.port;
  const kill = async () => {
    await running?.close();
    running = undefined;
  };
  return {
    name: "aedes", url: running.url, protocolVersion: 4, kill, stop: kill,
    restart: async () => { running = await startEmbeddedBroker({ port }); },
  };
}

export async function startMosquitto(): Promise<BrokerFixture> {
  const mosquitto = await mosquittoProcess();
  await mosquitto.start();
  return {
    name: "mosquitto", url: mosquitto.url, protocolVersion: 5,
    kill: () => mosquitto.stop("SIGKILL"),
    restart: () => mosquitto.start(),
    stop: () => mosquitto.stop("SIGTERM"),
  };
}
