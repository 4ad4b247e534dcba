// A real `syncward agent` SIGKILLed again and again over a workload that registers sync
// events, fires them, fails some (a rejected waitUntil, a throwing listener) so they are
// retried, and writes each delivery to the worker's durable IndexedDB. After every restart the
// worker reports what it finds, and every promise a killed agent kept is checked:
// - every registration whose register() resolved is still registered or was delivered;
// - every delivery whose IndexedDB transaction completed is in the database.
// A delivery made twice (killed after the worker's transaction completed, before the agent
// recorded the event's success: at-least-once) is counted in the database itself, as a figure.
// At the end the agent runs once more without registering more, until every registration
// whose register() resolved was delivered.
// Shared by tests/cli/agent-kills.test.ts (CI) and bench/crash.bench.ts (`npm run bench:crash`).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Xoshiro128 } from "../../reference/random.js";
import { start, type Running } from "../cli-process.js";

/** The worker; `registering` false: it only delivers what is registered (the final drain). */
const worker = (registering: boolean) => `
  const run = Math.random().toString(36).slice(2, 8);
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const complete = (tx) => new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
  const opened = new Promise((resolve, reject) => {
    const r = indexedDB.open("deliveries", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("delivered", { keyPath: "tag" });
      r.result.createObjectStore("duplicates", { autoIncrement: true });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  self.addEventListener("activate", (event) => event.waitUntil((async () => {
    const db = await opened;
    const tx = db.transaction(["delivered", "duplicates"]);
    const delivered = await req(tx.objectStore("delivered").getAllKeys());
    const duplicates = await req(tx.objectStore("duplicates").count());
    const pending = await self.registration.sync.getTags();
    console.log("HAVE " + JSON.stringify({ delivered, duplicates, pending }));
    (async () => {
      for (let i = 0; ${registering}; i++) {
        const tag = "job-" + run + "-" + i;
        await self.registration.sync.register(tag);
        console.log("REGISTERED " + tag);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  })()));
  // In this thread only: a tag's first attempt here fails for one in three tags (a rejected
  // waitUntil) and one in five (a throwing listener); the agent retries them.
  const attempts = new Map();
  self.addEventListener("sync", (event) => {
    const n = (attempts.get(event.tag) || 0) + 1;
    attempts.set(event.tag, n);
    const i = Number(event.tag.split("-").pop());
    if (n === 1 && !event.lastChance && i % 5 === 0) throw new Error("flaky listener");
    if (n === 1 && !event.lastChance && i % 3 === 0) return event.waitUntil(Promise.reject(new Error("flaky server")));
    event.waitUntil((async () => {
      const db = await opened;
      const tx = db.transaction(["delivered", "duplicates"], "readwrite");
      const before = await req(tx.objectStore("delivered").get(event.tag));
      if (before) tx.objectStore("duplicates").add({ tag: event.tag, run });
      else tx.objectStore("delivered").add({ tag: event.tag, run, body: "x".repeat(100) });
      await complete(tx);
      console.log("DELIVERED " + event.tag);
    })());
  });
`;

export interface KillFigures {
  kills: number;
  /** Kills after which the agent's next report found nothing lost (some kills hit the start that followed another). */
  survived: number;
  /** Registrations whose register() resolved before a kill, and how often one was checked. */
  registrations: number;
  registrationChecks: number;
  /** Deliveries whose transaction completed before a kill, and how often one was checked. */
  records: number;
  recordChecks: number;
  /** Promises broken: a resolved registration neither pending nor delivered, a completed delivery missing. */
  lostRegistrations: number;
  lostRecords: number;
  /** Deliveries the worker made again for a tag it had delivered (at-least-once). */
  duplicates: number;
  /** Resolved registrations not delivered by the final run within a minute (goal 0). */
  undelivered: number;
  /** Tags the final run, which nobody kills, delivered more than once (goal 0). */
  repeatedInOneRun: number;
  /** The first few broken promises, for the report. */
  examples: string[];
}

interface Have {
  delivered: string[];
  duplicates: number;
  pending: string[];
}

/** What the worker of a started agent found, or the agent's own words if it ended first. */
async function reported(agent: Running, closed: Promise<unknown>): Promise<Have> {
  const ended = closed.then(() => {
    throw new Error(`the agent ended before its worker reported:\n${agent.lines.join("\n")}`);
  });
  ended.catch(() => {}); // observed through the race; not when the worker reports first
  return JSON.parse((await Promise.race([agent.waitFor(/^HAVE /, 30_000), ended])).slice(5)) as Have;
}

/**
 * SIGKILL a real agent `kills` times: one in seven while it starts, the others a random
 * 0-250 ms after its worker reported; then start it once more and check. Seeded: `seed`.
 */
export async function killAgentRepeatedly(kills: number, seed = 0x5eed): Promise<KillFigures> {
  const dir = await mkdtemp(join(tmpdir(), "syncward-agent-kills-"));
  const random = new Xoshiro128(seed, 7);
  const uniform = () => random.next() / 2 ** 32;
  const sw = join(dir, "sw.js");
  await writeFile(sw, worker(true));
  await writeFile(
    join(dir, "agent.json"),
    JSON.stringify({
      serviceWorkers: [{ script: sw, scope: "http://127.0.0.1:9/" }],
      store: join(dir, "state", "store"),
      control: join(dir, "control.sock"),
      mqtt: false,
      policy: { initialRetryDelay: 20, retryDelayFactor: 1, maxAttempts: 50 },
    }),
  );
  const registered = new Set<string>();
  const delivered = new Set<string>();
  const figures: KillFigures = {
    kills: 0,
    survived: 0,
    registrations: 0,
    registrationChecks: 0,
    records: 0,
    recordChecks: 0,
    lostRegistrations: 0,
    lostRecords: 0,
    duplicates: 0,
    undelivered: 0,
    repeatedInOneRun: 0,
    examples: [],
  };
  /** Kills since the last report. */
  let unchecked = 0;
  const broken = (what: string) => {
    if (figures.examples.length < 5) figures.examples.push(what);
  };
  try {
    for (let kill = 0; kill < kills; kill++) {
      const agent = start(["--config", join(dir, "agent.json"), "--settle", "0"]);
      const closed = new Promise((resolve) => agent.child.on("close", resolve));
      try {
        const duringStart = uniform() < 1 / 7;
        if (duringStart) {
          await new Promise((r) => setTimeout(r, uniform() * 300));
        } else {
          if (check(await reported(agent, closed))) figures.survived += unchecked;
          unchecked = 0;
          await new Promise((r) => setTimeout(r, uniform() * 250));
        }
      } finally {
        agent.child.kill("SIGKILL");
        await closed;
      }
      figures.kills++;
      unchecked++;
      // Read only now: a line out before the kill was a promise kept before the kill.
      for (const line of agent.lines) {
        if (line.startsWith("REGISTERED ")) registered.add(line.slice(11));
        if (line.startsWith("DELIVERED ")) delivered.add(line.slice(10));
      }
    }
    await writeFile(sw, worker(false));
    figures.undelivered = await drain();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  figures.registrations = registered.size;
  figures.records = delivered.size;
  return figures;

  /** Run the agent until every resolved registration is delivered (a minute at most): how many are not. */
  async function drain(): Promise<number> {
    const agent = start(["--config", join(dir, "agent.json"), "--settle", "0"]);
    const closed = new Promise((resolve) => agent.child.on("close", resolve));
    try {
      const have = await reported(agent, closed);
      if (check(have)) figures.survived += unchecked;
      const done = new Set(have.delivered);
      const undelivered = () => {
        for (const line of agent.lines) if (line.startsWith("DELIVERED ")) done.add(line.slice(10));
        return [...registered].filter((tag) => !done.has(tag));
      };
      for (const deadline = Date.now() + 60_000; undelivered().length > 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
      for (const tag of undelivered().slice(0, 3)) broken(`registration ${tag} never delivered`);
      const deliveries = agent.lines.filter((line) => line.startsWith("DELIVERED "));
      figures.repeatedInOneRun = deliveries.length - new Set(deliveries).size;
      return undelivered().length;
    } finally {
      agent.child.kill("SIGKILL");
      await closed;
    }
  }

  /** Whether `have` keeps every promise made before the kills so far. */
  function check(have: Have): boolean {
    const lostBefore = figures.lostRegistrations + figures.lostRecords;
    const there = new Set(have.delivered);
    const pending = new Set(have.pending);
    for (const tag of registered) {
      figures.registrationChecks++;
      if (!there.has(tag) && !pending.has(tag)) {
        figures.lostRegistrations++;
        broken(`registration ${tag} after kill ${figures.kills}`);
      }
    }
    for (const tag of delivered) {
      figures.recordChecks++;
      if (!there.has(tag)) {
        figures.lostRecords++;
        broken(`delivery ${tag} after kill ${figures.kills}`);
      }
    }
    figures.duplicates = have.duplicates;
    return figures.lostRegistrations + figures.lostRecords === lostBefore;
  }
}
