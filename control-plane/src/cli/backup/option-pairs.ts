import { BackupOptions } from "@holdfast/shared";
import type { z } from "zod";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";

type Kind = "boolean" | "number" | "string" | "list";

/** zod's own description of a field, under its `.optional()`. */
function kindOf(schema: z.ZodType): Kind | Record<string, z.ZodType> {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } };
  while (s.def.type === "optional" || s.def.type === "default") s = s.def.innerType as typeof s;
  switch (s.def.type) {
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "array":
      return "list";
    case "object":
      return s.def.shape as Record<string, z.ZodType>;
    default:
      return "string";
  }
}

/** `compression.level` → number, `tables.include` → list...: read from BackupOptions itself, so a new option is a new key at once. */
export function optionKeys(): Map<string, Kind> {
  const keys = new Map<string, Kind>();
  const walk = (shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [name, field] of Object.entries(shape)) {
      const kind = kindOf(field);
      if (typeof kind === "string") keys.set(prefix + name, kind);
      else walk(kind, `${prefix}${name}.`);
    }
  };
  walk(BackupOptions.shape as unknown as Record<string, z.ZodType>, "");
  return keys;
}

function typed(key: string, kind: Kind, raw: string): unknown {
  if (kind === "boolean") {
    if (raw === "true" || raw === "") return true;
    if (raw === "false") return false;
    throw new CliError(`--option ${key}: true or false, not ${JSON.stringify(raw)}`, EXIT.usage);
  }
  if (kind === "number") {
    if (!/^-?\d+$/.test(raw)) throw new CliError(`--option ${key}: a whole number, not ${JSON.stringify(raw)}`, EXIT.usage);
    return Number(raw);
  }
  return raw;
}

/**
 * `--option k=v` pairs as BackupOptions: dotted keys (`compression.codec=zstd`), typed from the
 * schema (`verify=true`, `compression.level=5`), a list key repeated or comma-separated
 * (`tables.include=public.a,public.b`), then validated whole by the shared schema.
 *
 * @example parseOptionPairs(["format=custom", "compression.level=9"]) // { format: "custom", compression: { level: 9 } } → fails: codec missing
 */
export function parseOptionPairs(pairs: readonly string[]): BackupOptions | undefined {
  if (pairs.length === 0) return undefined;
  const keys = optionKeys();
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const raw = eq < 0 ? "" : pair.slice(eq + 1);
    const kind = keys.get(key);
    if (!kind) throw new CliError(`--option ${key}: not a backup option (one of: ${[...keys.keys()].join(", ")})`, EXIT.usage);
    if (eq < 0 && kind !== "boolean") throw new CliError(`--option ${key}: give a value (${key}=…)`, EXIT.usage);
    const path = key.split(".");
    let node = out;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    const leaf = path[path.length - 1]!;
    if (kind === "list") node[leaf] = [...((node[leaf] as string[] | undefined) ?? []), ...raw.split(",").filter((s) => s !== "")];
    else node[leaf] = typed(key, kind, raw);
  }
  const parsed = BackupOptions.safeParse(out);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`--option ${issue.path.join(".") || "(options)"}: ${issue.message}`, EXIT.usage, "VALIDATION_FAILED");
  }
  return parsed.data;
}
