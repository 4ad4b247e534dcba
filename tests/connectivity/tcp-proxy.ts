// A TCP proxy for the connectivity scenarios (broker-scenarios.ts): a link that can be cut
// without a goodbye while the broker, and the sessions it keeps, live on.
import type { Test } from "tap";
import { createConnection, createServer as createTcpServer, type Socket } from "node:net";

/** A TCP proxy in front of the broker: cutting it drops the link while the broker (and its sessions) live on. */
export async function proxy(t: Test, brokerUrl: string) {
  const target = new URL(brokerUrl);
  const sockets = new Set<Socket>();
  const server = createTcpServer((inbound) => {
    const outbound = createConnection(Number(target.port), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return {
    url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
