// The reference model's live registrations (SEMANTICS.md "Entities"): the ids it hands out,
// the slots behind them and the order in which registrations joined their scopes, kept in a
// Map and plain arrays, searched by linear scans. The rules that move registrations between
// states are elsewhere (model-transitions.ts); this is only who exists and in what order.

import type { RegistrationId } from "../../wasm-core/binding/codes.js";
import type { ModelDomain, ModelRegistration, ModelScope } from "./model-entities.js";

/** What a new registration starts from; the rest starts as a fresh pending one. */
export type NewRegistration = Pick<
  ModelRegistration,
  "kind" | "scope" | "resolved" | "unmeteredOnly" | "allowOnBattery" | "attempts" | "maxAttempts" | "expiresAt" | "anchor" | "minInterval"
>;

export class ModelRegistry {
  /** Live registrations by id. */
  readonly #live = new Map<number, ModelRegistration>();
  /** Generation of every slot ever used; the array's length is the number of slots. */
  readonly #generations: number[] = [];
  /** Freed slots; the last freed is reused first. */
  readonly #freeSlots: number[] = [];
  #joinCounter = 0;

  get size(): number {
    return this.#live.size;
  }

  get(id: number): ModelRegistration | undefined {
    return this.#live.get(id);
  }

  has(id: number): boolean {
    return this.#live.has(id);
  }

  /** A pending registration in a fresh slot, joined at the tail of its scope; undefined at `max` live ones. */
  add(max: number, fields: NewRegistration): ModelRegistration | undefined {
    if (this.#live.size >= max) return undefined;
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#generations.length;
      this.#generations.push(0);
    }
    const r: ModelRegistration = {
      ...fields,
      id: (slot | (this.#generations[slot]! << 24)) as RegistrationId,
      slot,
      state: "pending",
      aborts: 0,
      lastChance: false,
      lastDelay: 0,
      retryAfterTimeout: false,
      paceReserved: false,
      timerAt: undefined,
      joined: ++this.#joinCounter,
    };
    this.#live.set(r.id, r);
    return r;
  }

  /** Forget a registration: out of the heap and lists; its slot's generation moves on. */
  free(r: ModelRegistration): void {
    if (this.isParked(r)) r.scope.parked.splice(r.scope.parked.indexOf(r), 1);
    r.timerAt = undefined;
    this.#live.delete(r.id);
    this.#generations[r.slot] = (this.#generations[r.slot]! + 1) & 0x7f;
    this.#freeSlots.push(r.slot);
  }

  isParked(r: ModelRegistration): boolean {
    return r.scope.parked.includes(r);
  }

  /** Out of its scope's parked list and back at the tail of the scope's membership. */
  leaveParked(r: ModelRegistration): void {
    const list = r.scope.parked;
    list.splice(list.indexOf(r), 1);
    r.joined = ++this.#joinCounter;
  }

  /** The scope's live registrations in the order they joined it. */
  membersOf(scope: ModelScope): ModelRegistration[] {
    return [...this.#live.values()].filter((r) => r.scope === scope).sort((a, b) => a.joined - b.joined);
  }

  /** The heap's first entry in (time, slot) order, among those of `domain` if given. */
  earliestTimer(domain?: ModelDomain): ModelRegistration | undefined {
    let best: ModelRegistration | undefined;
    for (const r of this.#live.values()) {
      if (r.timerAt === undefined || (domain !== undefined && r.scope.domain !== domain)) continue;
      if (best === undefined || r.timerAt < best.timerAt! || (r.timerAt === best.timerAt && r.slot < best.slot)) best = r;
    }
    return best;
  }
}
