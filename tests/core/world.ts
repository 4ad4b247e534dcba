// A fresh core instance with one online domain and one scope: the starting point of most
// core tests. Not a test file (tap runs only *.test.ts).
import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import type { Policy, Preset } from "../../wasm-core/binding/policy.js";
import type { Scheduler } from "../../wasm-core/binding/scheduler.js";
import type { DomainId, RegistrationId, ScopeId } from "../../wasm-core/binding/codes.js";

export const MIN = 60_000;
export const HOUR = 60 * MIN;

export interface World {
  s: Scheduler;
  domain: DomainId;
  scope: ScopeId;
  /** Register and resolve a one-shot registration at `now`; returns its id. */
  oneShot(now: number): RegistrationId;
}

export async function world(preset: Preset = "chromium", policy: Partial<Policy> = {}, seed = 1): Promise<World> {
  const s = await createScheduler({ preset, policy, seed });
  const domain = s.createDomain();
  const scope = s.createScope(domain);
  s.setConditions(domain, { online: true }, 0);
  return {
    s,
    domain,
    scope,
    oneShot(now: number) {
      const id = s.register(scope, now);
      s.resolved(id, now);
      return id;
    },
  };
}
