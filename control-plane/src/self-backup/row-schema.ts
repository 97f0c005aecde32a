import { type Column, getTableColumns, type Table } from "drizzle-orm";
import { z } from "zod";

/**
 * The zod check of one exported row of `table`, built from the schema file itself so it cannot drift
 * from it: every column present (an export writes them all), of its kind (text, number, boolean),
 * null only where the column allows it, and no key the table does not have.
 */
export function rowSchemaOf(table: Table): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, column] of Object.entries(getTableColumns(table)) as Array<[string, Column]>) {
    const base = valueOf(column);
    shape[key] = column.notNull ? base : base.nullable();
  }
  return z.object(shape).strict() as unknown as z.ZodType<Record<string, unknown>>;
}

function valueOf(column: Column): z.ZodType {
  switch (column.dataType) {
    case "string":
      return z.string();
    case "number":
      return z.number().finite();
    case "boolean":
      return z.boolean();
    default:
      // A column kind the format has no rule for: the export would not round-trip it, so fail loudly.
      throw new Error(`self-backup: column ${column.name} has kind ${column.dataType}, which the export format does not carry`);
  }
}
