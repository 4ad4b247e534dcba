// The in-process MQTT broker `syncward agent` starts when no broker URL is given, so a bare
// machine shows the whole loop (device status → fusion → sync event) with any MQTT client.
// aedes speaks MQTT 3.1.1 only; it listens on loopback alone, keeps retained messages in
// memory (they are gone when the agent stops), and lets in only clients that present its
// credential: loopback alone would still let any local process flip the device's status.

import { createServer, type Socket } from "node:net";
import { Aedes, type AuthenticateError } from "aedes";
import { matchesCredential, type BrokerCredential } from "./broker-credential.js";

export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** MQTT 3.1.1's CONNACK return code 5. */
const NOT_AUTHORIZED = 5;

/**
 * Start the broker on 127.0.0.1:`port` (0: any free port), refusing every client that does
 * not present `credential` with "not authorized". A port in use is an error naming the way
 * out, never a silent switch to another port or to whatever listens there.
 */
export async function startEmbeddedBroker(options: { credential: BrokerCredential; port: number; host?: string }): Promise<EmbeddedBroker> {
  const host = options.host ?? "127.0.0.1";
  const wanted = options.port;
  const broker = await Aedes.createBroker({
    heartbeatInterval: 60_000,
    authenticate: (_client, username, password, done) => {
      if (matchesCredential(options.credential, username, password)) return done(null, true);
      done(Object.assign(new Error("not authorized"), { returnCode: NOT_AUTHORIZED }) as AuthenticateError, false);
    },
  });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(wanted, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new Error(
        `cannot start the embedded MQTT broker: ${host}:${wanted} is in use (another broker?); use it with --mqtt mqtt://${host}:${wanted}, or pick another port with --broker-port`,
        { cause: error },
      );
    }
    throw new Error(`cannot start the embedded MQTT broker on ${host}:${wanted}: ${code ?? (error as Error).message}`, { cause: error });
  }
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}
