// Whether a registration's conditions let it fire now (SEMANTICS.md "Entities": eligible).
// Its scope must be effectively online (its own flag and its domain's), and the domain's
// metered and battery conditions must be ones the registration accepts.

import { F_UNMETERED_ONLY, F_NO_BATTERY, scopeOf, flagsOf } from "./registrations";
import { S_ONLINE, domainOfScope, scopeFlags } from "./scopes";
import { D_ONLINE, D_METERED, D_ON_BATTERY, conditionsOf } from "./domains";

function scopeOnline(sc: u32): bool {
  return (scopeFlags(sc) & S_ONLINE) != 0 && (conditionsOf(domainOfScope(sc)) & D_ONLINE) != 0;
}

export function eligible(slot: u32): bool {
  const sc = scopeOf(slot);
  if (!scopeOnline(sc)) return false;
  const c = conditionsOf(domainOfScope(sc));
  const f = flagsOf(slot);
  if ((f & F_UNMETERED_ONLY) != 0 && (c & D_METERED) != 0) return false;
  if ((f & F_NO_BATTERY) != 0 && (c & D_ON_BATTERY) != 0) return false;
  return true;
}
