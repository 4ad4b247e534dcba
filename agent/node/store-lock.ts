// One agent per store. Two agents with their own control sockets but the same store would both
// append to its log and compact it under each other, so each would lose what the other wrote.
// Node has no flock(), so the lock is a file created exclusively beside the store, holding the
// owner's pid and, on Linux, the kernel's start time of that process: a lock left by a killed
// agent (SIGKILL, power cut) is taken over, even when a reboot gave its pid to another process
// or to this one.

import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Held while the agent runs; release() removes the file. */
export interface StoreLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Who holds a lock: "pid start" (start: clock ticks since boot, or "-" where unknown). */
interface Owner {
  pid: number;
  start: string;
}

/**
 * Take the lock of the store at `store` (the file `store.lock`), or throw one line naming the
 * agent that holds it.
 */
export async function lockStore(store: string): Promise<StoreLock> {
  const path = `${store}.lock`;
  await mkdir(dirname(store), { recursive: true, mode: 0o700 });
  const self: Owner = { pid: process.pid, start: await startTime(process.pid) };
  // Twice at most: a stale lock is removed once, and a second agent racing for it loses to the
  // one whose exclusive create succeeds.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${self.pid} ${self.start}\n`, { flag: "wx", mode: 0o600 });
      return { path, release: () => unlink(path).catch(() => {}) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(path);
    if (owner && (await alive(owner))) {
      throw new Error(`the store ${store} is in use by another agent (pid ${owner.pid}); stop it first, or give this one its own --store`);
    }
    await unlink(path).catch(() => {});
  }
  throw new Error(`the store ${store} is being locked by another agent starting at the same time; try again`);
}

async function readOwner(path: string): Promise<Owner | undefined> {
  const text = await readFile(path, "utf8").catch(() => "");
  const [pid, start] = text.trim().split(" ");
  // A torn or foreign file is no owner: the lock is stale.
  return pid && /^\d+$/.test(pid) && start ? { pid: Number(pid), start } : undefined;
}

async function alive(owner: Owner): Promise<boolean> {
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: a process of another user has that pid now; still alive, and not ours to judge.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = await startTime(owner.pid);
  return owner.start === "-" || start === "-" || start === owner.start;
}

/** Field 22 of /proc/PID/stat, the process's start in clock ticks since boot; "-" off Linux. */
async function startTime(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return "-";
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? "-";
}
