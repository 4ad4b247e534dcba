// The in-process MQTT broker `syncward agent` starts when no broker URL is given, so a bare
// machine shows the whole loop (device status → fusion → sync event) with any MQTT client.
// aedes speaks MQTT 3.1.1 only; it listens on loopback alone and keeps retained messages in
// memory (they are gone when the agent stops).

import { createServer, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Default port: MQTT's own. */
export const EMBEDDED_BROKER_PORT = 1883;

/**
 * Start the broker on 127.0.0.1:`port` (0: any free port). A port in use is an error naming
 * the way out, never a silent switch to another port or to whatever listens there.
 */
export async function startEmbeddedBroker(options: { port?: number; host?: string } = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? "127.0.0.1";
  const wanted = options.port ?? EMBEDDED_BROKER_PORT;
  const broker = await Aedes.createBroker({ heartbeatInterval: 60_000 });
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
      throw new Error(`cannot start the embedded MQTT broker: ${host}:${wanted} is in use (another broker?); use it with --mqtt mqtt://${host}:${wanted}, or pick another port with --broker-port`);
    }
    throw new Error(`cannot start the embedded MQTT broker on ${host}:${wanted}: ${code ?? (error as Error).message}`);
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
