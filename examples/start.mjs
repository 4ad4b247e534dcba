// `npm start`: the whole loop on one bare machine. `syncward agent` runs the example outbox
// worker with examples/agent.json and its embedded MQTT broker on 127.0.0.1:1883. Stand-ins
// play the rest of the kiosk:
//   - the backend: HTTP on 127.0.0.1:8787 (POST /outbox, GET /health → 204) and its Sparkplug
//     STATE on spBv1.0/STATE/outbox-backend (retained, with a Last Will);
//   - the firmware: a retained "online" on kiosk-1/net/status, once at start.
// The broker lets in only clients with its credential, generated on the first start into
// .syncward/broker-credential (mqtt.credentialFile of agent.json, 0600, one line user:password);
// the stand-ins read it there. In another terminal, flip the device status with any MQTT client:
//   IFS=: read -r user pass < .syncward/broker-credential
//   mosquitto_pub -h 127.0.0.1 -u "$user" -P "$pass" -r -t kiosk-1/net/status -m offline     (and -m online)
// or force it: npx syncward net offline --control .syncward/control.sock   (online / auto / status)
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { main } from "../build/dist/cli/syncward.js";
import { brokerCredentialFile } from "../build/dist/agent/node/broker-credential.js";

const BROKER = "mqtt://127.0.0.1:1883";
const CONFIG = fileURLToPath(new URL("agent.json", import.meta.url));

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
try {
  await new Promise((resolve, reject) => backend.once("error", reject).listen(8787, "127.0.0.1", resolve));
} catch (error) {
  // Most often a second `npm start`: one line saying so, not a stack trace.
  const why = error.code === "EADDRINUSE" ? "is in use (is npm start already running?)" : `cannot be listened on: ${error.code ?? error.message}`;
  console.error(`npm start: the example backend's address 127.0.0.1:8787 ${why}`);
  process.exit(1);
}
console.log("backend: listening on http://127.0.0.1:8787/");

// Made here if this is the first start; the agent finds it and uses the same one.
const login = await brokerCredentialFile(fileURLToPath(new URL("../.syncward/broker-credential", import.meta.url))).catch((error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});

// The agent starts the broker; these clients keep trying (mqtt.js's 1 s retry) until it is up.
const birth = Date.now();
const state = mqtt.connect(BROKER, {
  clientId: "outbox-backend",
  protocolVersion: 4,
  ...login,
  will: { topic: "spBv1.0/STATE/outbox-backend", payload: JSON.stringify({ online: false, timestamp: birth }), qos: 1, retain: true },
});
state.on("connect", () => state.publish("spBv1.0/STATE/outbox-backend", JSON.stringify({ online: true, timestamp: birth }), { qos: 1, retain: true }));
state.on("error", () => {});
const firmware = mqtt.connect(BROKER, { clientId: "kiosk-1-firmware", protocolVersion: 4, ...login });
firmware.once("connect", () => firmware.publish("kiosk-1/net/status", "online", { qos: 1, retain: true }, () => firmware.end()));
firmware.on("error", () => {});

const code = await main(["agent", "--config", CONFIG]);
state.end(true);
firmware.end(true);
backend.close();
process.exit(code);
