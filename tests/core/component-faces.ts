// The two faces of the same core that component.test.ts compares: the WebAssembly Component
// as jco's glue exposes the WIT interface, and the raw module behind that same face, plus the
// recorder that traces everything either answers.

import { createScheduler } from "../../wasm-core/binding/core-wasm.js";
import type { CoreExports } from "../../wasm-core/binding/scheduler.js";

const componentJs = new URL("../../build/component/scheduler.js", import.meta.url);
export const componentWasm = new URL("../../build/scheduler.component.wasm", import.meta.url);
export const coreWasm = new URL("../../build/scheduler.wasm", import.meta.url);

export type OutputKind = "fire" | "timed-out" | "dropped";
export interface Output {
  kind: OutputKind;
  id: number;
  arg: number;
  domain: number;
}

/**
 * The WIT interface syncward:core/scheduler@0.1.0 as jco's glue exposes it: the raw module's
 * exports, with WIT bools for the two flags and drain() returning the list.
 */
export type SchedulerInterface = Omit<CoreExports, "memory" | "setScopeOnline" | "setSuspended"> & {
  setScopeOnline(scope: number, online: boolean, now: number): number;
  setSuspended(id: number, suspended: boolean, now: number): number;
  drain(): Output[];
};

interface ComponentModule {
  scheduler: SchedulerInterface;
}

let instances = 0;
/** A fresh component instance: the jco module instantiates at import, so import it anew. */
export async function componentScheduler(): Promise<SchedulerInterface> {
  const module = (await import(`${componentJs.href}?instance=${++instances}`)) as ComponentModule;
  return module.scheduler;
}

const KINDS: readonly OutputKind[] = ["fire", "timed-out", "dropped"];

/** Unpack the raw poll()'s id * 16 + code (SEMANTICS.md, Outputs) and polledDomain(). */
function decode(packed: number, domain: number): Output {
  const code = packed % 16;
  const kind = KINDS[(code & 3) - 1] ?? (`bad code ${code}` as OutputKind);
  return { kind, id: (packed - code) / 16, arg: code >> 2, domain };
}

/** The raw module behind the same face: bools as 0/1, drain() as a poll() loop. */
export async function rawScheduler(): Promise<SchedulerInterface> {
  const raw: CoreExports = (await createScheduler()).raw;
  return {
    ...raw,
    setScopeOnline: (scope, online, now) => raw.setScopeOnline(scope, online ? 1 : 0, now),
    setSuspended: (id, suspended, now) => raw.setSuspended(id, suspended ? 1 : 0, now),
    drain: () => {
      const out: Output[] = [];
      for (let packed = raw.poll(); packed !== 0; packed = raw.poll()) out.push(decode(packed, raw.polledDomain()));
      return out;
    },
  };
}

export type Inputs =
  | "seed"
  | "usePreset"
  | "setPolicy"
  | "createDomain"
  | "createScope"
  | "setDomainConditions"
  | "setDomainPace"
  | "setScopeOnline"
  | "setScopeMinGap"
  | "joinOrigin"
  | "removeScope"
  | "register"
  | "restore"
  | "resolved"
  | "reregister"
  | "complete"
  | "unregister"
  | "setSuspended"
  | "handleTimeout";
type Queries =
  "getPolicy" | "stateOf" | "kindOf" | "attemptsOf" | "maxAttemptsOf" | "flagsOfRegistration" | "delayUntilOf" | "anchorOrExpiryOf" | "minIntervalOf";

/** Numbers as JSON keeps them apart (NaN, ±Infinity, -0). */
const norm = (v: unknown): unknown => (typeof v !== "number" ? (v ?? null) : !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? "-0" : v);

/** The index of the first step where two records differ, or -1. */
export function firstDifference(a: readonly unknown[][], b: readonly unknown[][]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
  }
  return -1;
}

/** Records everything a scheduler answers. */
export class Traced {
  readonly trace: unknown[][] = [];
  /** Decisions drained but not yet handled by the host. */
  readonly inbox: Output[] = [];

  constructor(readonly core: SchedulerInterface) {}

  /** The next wake-up, then each domain's (the scenarios use up to 4; -1 and 9 are unknown). */
  wakeups(): unknown[] {
    return [norm(this.core.nextWakeup()), ...[-1, 0, 1, 2, 3, 9].map((d) => norm(this.core.domainWakeup(d)))];
  }

  /** An input, then the decisions it produced (drain()) and the next wake-ups. */
  input<K extends Inputs>(name: K, ...args: Parameters<SchedulerInterface[K]>): number {
    const result = (this.core[name] as (...a: unknown[]) => number | undefined)(...args);
    const pending = this.core.pendingOutputs();
    const outputs = this.core.drain();
    this.trace.push([name, args.map(norm), norm(result), pending, outputs, this.wakeups()]);
    this.inbox.push(...outputs);
    return result ?? 0;
  }

  /** An input whose decisions are taken one by one with poll(). */
  inputPolled<K extends Inputs>(name: K, ...args: Parameters<SchedulerInterface[K]>): number {
    const result = (this.core[name] as (...a: unknown[]) => number | undefined)(...args);
    const polled: [number, number][] = [];
    for (let p = this.core.poll(); p !== 0; p = this.core.poll()) polled.push([p, this.core.polledDomain()]);
    this.trace.push([name, args.map(norm), norm(result), "polled", polled, this.wakeups()]);
    this.inbox.push(...polled.map(([p, domain]) => decode(p, domain)));
    return result ?? 0;
  }

  query<K extends Queries>(name: K, arg: number): number {
    const result = this.core[name](arg);
    this.trace.push([name, arg, norm(result)]);
    return result;
  }

  /** Everything the core tells about these registrations and itself. */
  snapshot(ids: Iterable<number>): void {
    for (const id of ids) {
      for (const q of ["stateOf", "kindOf", "attemptsOf", "maxAttemptsOf", "flagsOfRegistration", "delayUntilOf", "anchorOrExpiryOf", "minIntervalOf"] as const)
        this.query(q, id);
    }
    this.trace.push(["counts", this.core.liveCount(), this.core.pendingOutputs(), this.core.memoryInUse()]);
  }
}
