// Checks a parsed JSON value against a JSON Schema (draft 2020-12), for the keywords the
// agent's config schema uses: type, const, enum, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, minLength, pattern, properties, required, additionalProperties: false,
// items, minItems, uniqueItems and anyOf. The first problem is thrown as one line naming its
// field and the value found there; a node's `errorMessage` (which editors show too) says
// what a good value is.

import { quotedValue } from "../quoted-value.js";

export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  /** What a good value is, shown after the field's name (VS Code shows it too). */
  errorMessage?: string;
  type?: JsonType;
  const?: unknown;
  enum?: readonly unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: false;
  items?: JsonSchema;
  minItems?: number;
  uniqueItems?: boolean;
  anyOf?: readonly JsonSchema[];
}

export class SchemaError extends Error {
  override name = "SchemaError";
}

function typeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as JsonType;
}

const A_TYPE: Record<JsonType, string> = {
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  null: "null",
};

const fits = (type: JsonType, value: unknown) => typeOf(value) === type || (type === "number" && typeOf(value) === "integer");

/** Throw a SchemaError naming `field` (e.g. `mqtt.deviceStatus.topic`) if `value` does not fit `schema`. */
export function checkSchema(schema: JsonSchema, value: unknown, field: string): void {
  const fail = (generic: string): never => {
    throw new SchemaError(`${field || "the config"} ${schema.errorMessage ?? generic}, got ${quotedValue(value)}`);
  };
  if (schema.anyOf) {
    // The branch of the value's own type decides, so a nested mistake is named exactly.
    const branch = schema.anyOf.find((s) => (s.type === undefined ? s.const === value : fits(s.type, value)));
    if (!branch) fail(`must be ${schema.anyOf.map((s) => (s.type ? A_TYPE[s.type] : quotedValue(s.const))).join(" or ")}`);
    return checkSchema({ errorMessage: schema.errorMessage, ...branch }, value, field);
  }
  if (schema.type && !fits(schema.type, value)) fail(`must be ${A_TYPE[schema.type]}`);
  if ("const" in schema && value !== schema.const) fail(`must be ${quotedValue(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) fail(`must be one of ${schema.enum.map((v) => quotedValue(v)).join(", ")}`);
  if (typeof value === "number") checkNumber(schema, value, fail);
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) fail("must not be empty");
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) fail(`must match ${schema.pattern}`);
  }
  if (Array.isArray(value)) checkArray(schema, value, field, fail);
  else if (typeOf(value) === "object") checkObject(schema, value as Record<string, unknown>, field);
}

function checkNumber(schema: JsonSchema, value: number, fail: (generic: string) => never): void {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (minimum !== undefined && value < minimum) fail(`must be at least ${minimum}`);
  if (maximum !== undefined && value > maximum) fail(`must be at most ${maximum}`);
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) fail(`must be above ${exclusiveMinimum}`);
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) fail(`must be below ${exclusiveMaximum}`);
}

function checkArray(schema: JsonSchema, value: unknown[], field: string, fail: (generic: string) => never): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) fail(`must have at least ${schema.minItems} item(s)`);
  if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) fail("must not name one thing twice");
  // Every index, holes too: an array built in code may have some, and they are not items.
  if (schema.items) for (let i = 0; i < value.length; i++) checkSchema(schema.items, value[i], `${field}[${i}]`);
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, field: string): void {
  const properties = schema.properties ?? {};
  const name = field === "" ? "config" : field;
  for (const key of Object.keys(value)) {
    if (schema.additionalProperties === false && !Object.hasOwn(properties, key)) {
      throw new SchemaError(`unknown ${name} field ${quotedValue(key)} (known: ${Object.keys(properties).join(", ")})`);
    }
  }
  for (const key of schema.required ?? []) if (!Object.hasOwn(value, key)) throw new SchemaError(`${name} needs the field ${key}`);
  for (const [key, property] of Object.entries(properties)) {
    if (Object.hasOwn(value, key)) checkSchema(property, value[key], field === "" ? key : `${field}.${key}`);
  }
}
