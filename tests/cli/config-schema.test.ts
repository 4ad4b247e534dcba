// The config file's JSON Schema: the shipped file is the definition the agent checks against,
// and a standard validator (Ajv, draft 2020-12, as editors read it) agrees with the agent on
// thousands of fuzzed configs: whatever the schema refuses, the agent refuses; whatever the
// agent accepts, the schema accepts. "$schema" in a config file is accepted.
import t from "tap";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { ConfigError, parseConfig } from "../../agent/node/agent-config.js";
import { CONFIG_SCHEMA } from "../../agent/node/config-schema.js";
import { mutatedJson } from "../json-mutations.js";
import { cli } from "./cli-process.js";

const RUNS = Number(process.env.SYNCWARD_FUZZ_RUNS ?? 3000);
const root = join(import.meta.dirname, "../..");
const shipped = JSON.parse(readFileSync(join(root, "build/agent-config.schema.json"), "utf8")) as object;
const example = JSON.parse(readFileSync(join(root, "examples/agent.json"), "utf8")) as Record<string, unknown>;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, string>; files: string[] };

// `errorMessage` is VS Code's keyword, and `format` an annotation in draft 2020-12: neither is a rule for Ajv.
const ajv = new Ajv2020({ strict: true, validateFormats: false, keywords: ["errorMessage"] });
const validate = ajv.compile(shipped);

t.test("the shipped schema is the definition, and a valid draft 2020-12 schema", async (t) => {
  t.same(shipped, JSON.parse(JSON.stringify(CONFIG_SCHEMA)), "build/agent-config.schema.json is written from config-schema.ts");
  t.equal(pkg.exports["./agent-config.schema.json"], "./build/agent-config.schema.json", "exported as syncward/agent-config.schema.json");
  t.ok(pkg.files.includes("build/agent-config.schema.json"), "and packed");
  t.ok(validate(example), `examples/agent.json is valid: ${ajv.errorsText(validate.errors)}`);
  t.equal(example.$schema, "../build/agent-config.schema.json", "and names it, so editors in this repository complete it");
});

t.test(`${RUNS} fuzzed configs: the schema and the agent agree`, async (t) => {
  let refusedByBoth = 0;
  let acceptedByBoth = 0;
  let semantic = 0;
  // Through JSON text, as a config file comes: a mutation may have set an object's prototype
  // (a "__proto__" key set in code), which no file can, and which Ajv's for…in would see.
  fc.assert(
    fc.property(
      mutatedJson(example as never).map((d) => JSON.parse(JSON.stringify(d)) as unknown),
      (doc) => {
        const valid = validate(doc);
        let accepted = true;
        try {
          parseConfig(doc, "/srv/kiosk");
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          accepted = false;
        }
        if (accepted && !valid)
          throw new Error(`the agent accepted what the schema refuses (${ajv.errorsText(validate.errors)}): ${JSON.stringify(doc).slice(0, 300)}`);
        if (valid && !accepted) semantic++;
        else if (valid) acceptedByBoth++;
        else refusedByBoth++;
      },
    ),
    { numRuns: RUNS, seed: 7 },
  );
  t.ok(refusedByBoth > RUNS / 10 && acceptedByBoth > RUNS / 10, `${refusedByBoth} refused by both, ${acceptedByBoth} accepted by both`);
  t.comment(`${semantic} valid by the schema but refused for what a schema cannot say (a URL that does not parse, fields that exclude each other, …)`);
});

t.test("a config file with $schema runs; a bad field is named with the value found", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "syncward-schema-"));
  const file = join(dir, "agent.json");
  await writeFile(
    file,
    JSON.stringify({
      $schema: "https://example.org/agent-config.schema.json",
      serviceWorkers: [{ script: "sw.js", scope: "http://127.0.0.1:9/" }],
      mqtt: false,
      windowClient: "yes",
    }),
  );
  const r = spawnSync(process.execPath, [cli, "agent", "--config", file], { encoding: "utf8", timeout: 20_000 });
  t.equal(r.status, 2);
  t.equal(r.stderr, 'syncward: windowClient must be true or false, got "yes"\n', "$schema is not an unknown field; windowClient is named");
  t.throws(
    () => parseConfig({ mqtt: { brokerPort: 70000 } }, dir),
    /^mqtt.brokerPort must be a whole number of a TCP port \(0: any free port\) from 0 to 65535, got 70000$/,
  );
  t.throws(
    () => parseConfig({ mqtt: { deviceStatus: { topic: "a/+/b" } } }, dir),
    /mqtt.deviceStatus.topic must be one MQTT topic, without the wildcards \+ and #, got "a\/\+\/b"/,
  );
  t.throws(() => parseConfig({ serviceWorkers: [{ scope: "http://a/" }] }, dir), /serviceWorkers\[0\] needs the field script/);
});
