// Writes build/agent-config.schema.json (`syncward/agent-config.schema.json` in the package)
// from the definition the agent checks its config file against (agent/node/config-schema.ts),
// so editors complete and check the same fields the agent accepts.
import { writeFileSync } from "node:fs";
import { CONFIG_SCHEMA } from "../build/dist/agent/node/config-schema.js";

writeFileSync(new URL("../build/agent-config.schema.json", import.meta.url), `${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`);
