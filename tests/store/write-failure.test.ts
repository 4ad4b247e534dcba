// A real write failure: the store runs in a child under a 4 KiB file size limit, so that a
// group too large for it is written in part and then fails (EFBIG, the errno ENOSPC and EIO
// take the same path). That commit rejects, the log is cut back to its last durable record,
// and the next commits, which fit, succeed and load back without the failed one.
import t from "tap";
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FileStore } from "../../agent/node/file-store.js";
import { tempBase } from "./store-fixtures.js";

const child = fileURLToPath(new URL("./fixtures/write-failure-child.mjs", import.meta.url));
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "NODE_OPTIONS" && !name.startsWith("_TAPJS_")));

t.test("a group that fails part-way rejects, is cut off, and the next commit works", async (t) => {
  const path = tempBase(t);
  // ulimit -f counts 512-byte blocks: 8 blocks, 4 KiB.
  const output = execFileSync("sh", ["-c", `ulimit -f 8 && exec "${process.execPath}" "${child}" "${path}"`], { env, encoding: "utf8" });
  const outcomes = Object.fromEntries(JSON.parse(output) as [string, string][]);
  t.same(outcomes, {
    "small-0": "ok",
    "small-1": "ok",
    "small-2": "ok",
    large: "EFBIG",
    "large again": "EFBIG",
    "small-3": "ok",
    "small-4": "ok",
  });
  t.ok(statSync(`${path}.log`).size < 4096, "the partial write was cut off");
  const store = new FileStore({ path });
  const report = await store.load();
  await store.close();
  t.same(report.discarded, [], "no torn tail left behind");
  t.same(
    [...report.registrations.values()].map((r) => r.tag),
    ["small-0", "small-1", "small-2", "small-3", "small-4"],
  );
});
