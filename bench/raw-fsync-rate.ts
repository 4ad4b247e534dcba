// The disk's own limit that durable writes are measured against: appending 100 bytes and
// fsyncing, one at a time, for two seconds, in the directory the benchmark writes to.

import { open } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/** Appends + fsyncs per second in `dir`. */
export async function rawFsyncRate(dir: string): Promise<number> {
  const file = await open(join(dir, "raw-fsync"), "w");
  const record = Buffer.alloc(100, 1);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 2000) {
    await file.write(record);
    await file.sync();
    n++;
  }
  const rate = n / ((performance.now() - start) / 1000);
  await file.close();
  return rate;
}
