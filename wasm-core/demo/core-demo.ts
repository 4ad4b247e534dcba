// `npm run demo:core`: one kiosk, one outbox registration, a flaky uplink,
// and the core's decisions printed in Chromium's BackgroundService words. Virtual time, so
// the whole retry timeline plays out in a moment.

import { createScheduler } from "../binding/core-wasm.js";
import type { Preset } from "../binding/policy.js";

const preset = (process.argv[2] ?? "chromium") as Preset;
const MIN = 60_000;
const clock = (ms: number) => {
  const s = Math.round(ms / 1000);
  return `${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

const scheduler = await createScheduler({ preset, seed: 42 });
const kiosk = scheduler.createDomain();
const worker = scheduler.createScope(kiosk);
const tags = new Map<number, string>();
let now = 0;

const say = (line: string) => console.log(`${clock(now)}  ${line}`);
type Outcome = (tag: string, attempt: number) => "success" | "failure";
type Decision = NonNullable<ReturnType<typeof scheduler.poll>>;
const handle = (d: Decision, outcome: Outcome) => {
  const tag = tags.get(d.id) ?? "?";
  if (d.type === "fire") {
    say(`Dispatched sync event  tag=${tag}  Last Chance: ${d.lastChance ? "Yes" : "No"}`);
    const attempt = scheduler.persisted(d.id).attempts + 1;
    now += 2000;
    const result = outcome(tag, attempt);
    const state = scheduler.complete(d.id, result, now);
    if (result === "success") say(`sync event completed  tag=${tag}`);
    else if (state === "waiting")
      say(
        `sync event failed  tag=${tag}  Failure Reason: waitUntil rejected  Next Attempt Delay (ms): ${Math.round(scheduler.persisted(d.id).delayUntil - now)}`,
      );
  } else if (d.type === "dropped") {
    say(`sync event failed  tag=${tag}  registration dropped (${d.reason})`);
  }
};
const drain = (outcome: Outcome) => {
  for (let d = scheduler.poll(); d; d = scheduler.poll()) handle(d, outcome);
};

console.log(`syncward core demo — preset "${preset}" (try: npm run demo:core -- kiosk)\n`);
scheduler.setConditions(kiosk, { online: true }, now);
say("network: online");
now += 1000;
scheduler.setConditions(kiosk, { online: false }, now);
say("network: offline (uplink down)");
const id = scheduler.register(worker, now);
tags.set(id, "sync-messages");
say("Registered sync  tag=sync-messages");
scheduler.resolved(id, now);
drain(() => "failure");

now += 20 * MIN;
scheduler.setConditions(kiosk, { online: true }, now);
// A decision due now means no spread. Without one, the next wake-up is the spread's end; with
// one, it is that event's time limit, which says nothing about when the attempt starts.
const first = scheduler.poll();
say(`network: online${first ? "" : ` — first attempt spread to ${clock(scheduler.nextWakeup())}`}`);
// The backend is still down for the first two attempts, then recovers.
const backend: Outcome = (_tag, attempt) => (attempt >= 3 ? "success" : "failure");
if (first) handle(first, backend);
drain(backend);
while (scheduler.nextWakeup() !== Infinity) {
  now = Math.max(now, scheduler.nextWakeup());
  scheduler.handleTimeout(now);
  drain(backend);
}
say(`idle — ${scheduler.liveCount} registrations left, next wake-up: never`);
