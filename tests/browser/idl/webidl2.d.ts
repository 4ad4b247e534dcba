// The part of webidl2 24.5 (a parser without bundled types) that the IDL plan reads.
declare module "webidl2" {
  export interface ExtendedAttribute {
    name: string;
    rhs: { type: string; value: string | { value: string }[] } | null;
  }
  export interface IdlType {
    idlType: string | IdlType[];
    generic: string;
  }
  export interface Argument {
    name: string;
    optional: boolean;
    variadic: boolean;
    idlType: IdlType;
  }
  export interface Member {
    type: "operation" | "attribute" | "constructor" | "const" | "field" | string;
    name: string;
    readonly?: boolean;
    special?: string;
    required?: boolean;
    default?: unknown;
    idlType: IdlType | null;
    arguments?: Argument[];
    extAttrs: ExtendedAttribute[];
  }
  export interface Definition {
    type: "interface" | "dictionary" | "interface mixin" | "includes" | string;
    name: string;
    partial?: boolean;
    inheritance: string | null;
    members: Member[];
    extAttrs: ExtendedAttribute[];
  }
  export function parse(text: string): Definition[];
}
