// `npm start`: the whole loop on one bare machine. A stand-in for the kiosk's backend listens
// on 127.0.0.1:8787 (POST /outbox, GET /health → 204), and `syncward agent` runs the example
// outbox worker against it with examples/agent.json. In another terminal:
//   npx syncward net offline --control .syncward/control.sock   (and online / auto / status)
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { main } from "../build/dist/agent/node/cli.js";

const backend = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") return res.writeHead(204).end();
  if (req.method === "POST" && req.url === "/outbox") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      console.log(`backend: received ${JSON.parse(body).length} message(s)`);
      res.writeHead(200).end();
    });
    return;
  }
  res.writeHead(404).end();
});
await new Promise((resolve) => backend.listen(8787, "127.0.0.1", resolve));
console.log("backend: listening on http://127.0.0.1:8787/");
const code = await main(["agent", "--config", fileURLToPath(new URL("agent.json", import.meta.url))]);
backend.close();
process.exit(code);
