// From the agent's checked MQTT config to the options of its MQTT link: the secrets and TLS
// files are read first, so a missing one is a config error before anything starts.

import { readFile } from "node:fs/promises";
import type { MqttOptions } from "../connectivity/device-connectivity.js";
import { ConfigError, type MqttConfig } from "./agent-config.js";

export interface MqttSecrets {
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
  const passwordFile = await read(config.passwordFile, "mqtt.passwordFile");
  return {
    password: passwordFile?.toString("utf8").replace(/\r?\n$/, "") ?? config.password ?? (process.env.SYNCWARD_MQTT_PASSWORD || undefined),
    ca: await read(config.ca, "mqtt.ca"),
    cert: await read(config.cert, "mqtt.cert"),
    key: await read(config.key, "mqtt.key"),
  };
}

/** The link's options for broker `url`; `embedded`: the agent's own aedes broker. */
export function mqttOptions(config: MqttConfig, url: string, embedded: boolean, secrets: MqttSecrets): MqttOptions {
  const tls = { ...(secrets.ca ? { ca: secrets.ca } : {}), ...(secrets.cert ? { cert: secrets.cert } : {}), ...(secrets.key ? { key: secrets.key } : {}), ...(config.insecure ? { rejectUnauthorized: false } : {}) };
  return {
    url,
    clientId: config.clientId,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(secrets.password !== undefined ? { password: secrets.password } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
    // aedes speaks MQTT 3.1.1 only.
    protocolVersion: embedded ? 4 : config.protocolVersion,
    keepaliveSeconds: config.keepaliveSeconds,
    sessionExpirySeconds: config.sessionExpirySeconds,
    deviceStatus: config.deviceStatus,
    backendStatus: config.backendStatus,
    presence: config.presenceTopic === undefined ? undefined : { topic: config.presenceTopic, willDelaySeconds: config.willDelaySeconds },
    summaryTopic: config.summaryTopic,
    backoff: config.backoff,
  };
}
