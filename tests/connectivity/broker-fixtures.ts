// Real MQTT brokers for the tests: aedes in this process, and Debian's mosquitto as a child
// process on a free port with a generated config, stopped by its PID. Both can be killed and
// started again on the same port (retained messages are lost, as with a broker without
// persistence). A mosquitto that cannot start fails the test; it is never skipped.
import { startEmbeddedBroker, type EmbeddedBroker } from "../../agent/node/embedded-broker.js";
import { newBrokerCredential, type BrokerCredential } from "../../agent/node/broker-credential.js";
import { mosquittoProcess } from "../../bench/mosquitto-process.js";

export interface BrokerFixture {
  readonly name: "aedes" | "mosquitto";
  readonly url: string;
  /** MQTT 5 where the broker speaks it. */
  readonly protocolVersion: 4 | 5;
  /** What every client presents: aedes's generated credential, as the agent embeds it; mosquitto's test config allows anonymous clients. */
  readonly login: Partial<BrokerCredential>;
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

/** aedes as `syncward agent` embeds it, with its own credential. */
export async function startAedes(): Promise<BrokerFixture> {
  const credential = newBrokerCredential();
  let running: EmbeddedBroker | undefined = await startEmbeddedBroker({ port: 0, credential });
  const port = running.port;
  const kill = async () => {
    await running?.close();
    running = undefined;
  };
  return {
    name: "aedes",
    url: running.url,
    protocolVersion: 4,
    login: credential,
    kill,
    stop: kill,
    restart: async () => {
      running = await startEmbeddedBroker({ port, credential });
    },
  };
}

export async function startMosquitto(): Promise<BrokerFixture> {
  const mosquitto = await mosquittoProcess();
  await mosquitto.start();
  return {
    name: "mosquitto",
    url: mosquitto.url,
    protocolVersion: 5,
    login: {},
    kill: () => mosquitto.stop("SIGKILL"),
    restart: () => mosquitto.start(),
    stop: () => mosquitto.stop("SIGTERM"),
  };
}
