// From the agent's checked MQTT config to the options of its MQTT link: the secrets and TLS
// files are read first (and the embedded broker's credential generated on the first start),
// so a missing or unsafe one is a config error before anything starts.

import { readFile } from "node:fs/promises";
import type { MqttOptions } from "../connectivity/device-connectivity.js";
import { ConfigError, type MqttConfig } from "./agent-config.js";
import { brokerCredentialFile, readBrokerCredential, type BrokerCredential } from "./broker-credential.js";

export interface MqttSecrets {
  /** The embedded broker's credential; the agent's own client presents it too. */
  embedded: BrokerCredential | undefined;
  username: string | undefined;
  password: string | undefined;
  ca: Buffer | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
}

/** Read the password and TLS files now; a file that cannot be read is a ConfigError. */
export async function readMqttSecrets(config: MqttConfig): Promise<MqttSecrets> {
  const read = async (file: string | undefined, field: string) => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (error) {
      throw new ConfigError(`cannot read ${field} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const embedded = config.url === undefined ? await brokerCredentialFile(config.credentialFile!) : undefined;
  const login = embedded ?? (config.credentialFile === undefined ? undefined : await readBrokerCredential(config.credentialFile));
  const passwordFile = await read(config.passwordFile, "mqtt.passwordFile");
  return {
    embedded,
    username: login?.username ?? config.username,
    password: login?.password ?? passwordFile?.toString("utf8").replace(/\r?\n$/, "") ?? config.password ?? (process.env.SYNCWARD_MQTT_PASSWORD || undefined),
    ca: await read(config.ca, "mqtt.ca"),
    cert: await read(config.cert, "mqtt.cert"),
    key: await read(config.key, "mqtt.key"),
  };
}

/** The link's options for broker `url`; `embedded`: the agent's own aedes broker. */
export function mqttOptions(config: MqttConfig, url: string, embedded: boolean, secrets: MqttSecrets): MqttOptions {
  const tls = {
    ...(secrets.ca ? { ca: secrets.ca } : {}),
    ...(secrets.cert ? { cert: secrets.cert } : {}),
    ...(secrets.key ? { key: secrets.key } : {}),
    ...(config.insecure ? { rejectUnauthorized: false } : {}),
  };
  return {
    url,
    clientId: config.clientId,
    ...(secrets.username !== undefined ? { username: secrets.username } : {}),
    ...(secrets.password !== undefined ? { password: secrets.password } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
    // aedes speaks MQTT 3.1.1 only.
    protocolVersion: embedded ? 4 : config.protocolVersion,
    keepaliveSeconds: config.keepaliveSeconds,
    sessionExpirySeconds: config.sessionExpirySeconds,
    deviceStatus: config.deviceStatus,
    backendStatus: config.backendStatus,
    ...(config.admission ? { admission: config.admission } : {}),
    presence: config.presenceTopic === undefined ? undefined : { topic: config.presenceTopic, willDelaySeconds: config.willDelaySeconds },
    summaryTopic: config.summaryTopic,
    backoff: config.backoff,
  };
}
