import type { z } from "zod";

/**
 * What a form needs to know of one field of a shared zod object schema, read from the schema
 * itself: the forms draw exactly the fields the API takes, so a field added to `shared/` shows up
 * here without a hand-kept copy.
 */
export type FieldKind =
  | { kind: "text" }
  | { kind: "number"; min: number | undefined; max: number | undefined }
  | { kind: "boolean" }
  | { kind: "list" }
  | { kind: "choice"; options: string[] }
  | { kind: "object"; fields: SchemaField[] };

export type SchemaField = FieldKind & { name: string; required: boolean; defaultValue: unknown };

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  defaultValue?: unknown;
  checks?: { _zod: { def: { check: string; value?: number; inclusive?: boolean } } }[];
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The fields of an object schema (refinements kept aside: they are checked by the schema itself). */
export function fieldsOf(schema: z.ZodType): SchemaField[] {
  const shape = defOf(schema).shape;
  if (!shape) throw new Error("fieldsOf: not an object schema");
  return Object.entries(shape).map(([name, field]) => describe(name, field));
}

function describe(name: string, schema: z.ZodType): SchemaField {
  let required = true;
  let defaultValue: unknown;
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.type === "optional" && def.innerType) {
      required = false;
      current = def.innerType;
    } else if (def.type === "default" && def.innerType) {
      required = false;
      defaultValue = def.defaultValue;
      current = def.innerType;
    } else if (def.type === "pipe" && def.in) current = def.in;
    else break;
  }
  const def = defOf(current);
  const base = { name, required, defaultValue };
  switch (def.type) {
    case "number": {
      let min: number | undefined;
      let max: number | undefined;
      for (const check of def.checks ?? []) {
        const c = check._zod.def;
        if (c.check === "greater_than") min = c.value;
        if (c.check === "less_than") max = c.value;
      }
      return { ...base, kind: "number", min, max };
    }
    case "boolean":
      return { ...base, kind: "boolean" };
    case "array":
      return { ...base, kind: "list" };
    case "enum":
      return { ...base, kind: "choice", options: Object.values(def.entries ?? {}) };
    case "object":
      return { ...base, kind: "object", fields: fieldsOf(current) };
    default:
      return { ...base, kind: "text" };
  }
}
