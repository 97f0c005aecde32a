import type { FormErrors } from "@mantine/form";
import type { SchemaField } from "./field-kinds.js";

/** A field's value as an input holds it: "" for an empty text or number, [] for an empty list, null for no choice. */
export type InputValue = string | number | boolean | string[] | null | { [field: string]: InputValue };
export type InputValues = Record<string, InputValue>;

/** The inputs' starting values: the stored value, else the schema's default, else empty. */
export function initialInputs(fields: SchemaField[], stored: Record<string, unknown> = {}): InputValues {
  const values: InputValues = {};
  for (const field of fields) {
    const value = stored[field.name] ?? field.defaultValue;
    if (field.kind === "object") values[field.name] = initialInputs(field.fields, (value as Record<string, unknown> | undefined) ?? {});
    else if (field.kind === "boolean") values[field.name] = value === true;
    else if (field.kind === "list") values[field.name] = Array.isArray(value) ? value.map(String) : [];
    else if (field.kind === "number") values[field.name] = typeof value === "number" ? value : "";
    else if (field.kind === "choice") values[field.name] = typeof value === "string" ? value : null;
    else values[field.name] = typeof value === "string" ? value : "";
  }
  return values;
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);

/**
 * The inputs as the API takes them. An empty optional field is left out of a creation and sent as
 * `null` in an update (which removes it from the stored config); a secret left empty is left out
 * of both: in an update, that keeps the stored one (the API's rule for write-only fields).
 */
export function toPayload(fields: SchemaField[], inputs: InputValues, opts: { update: boolean; secrets?: readonly string[] }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = inputs[field.name];
    let value: unknown = raw;
    if (field.kind === "object") {
      const inner = toPayload(field.fields, (raw as InputValues | undefined) ?? {}, { update: false });
      // An optional group holding only its defaults was left alone (a standby with a port but no host is not one).
      const touched = field.fields.some((f) => inner[f.name] !== undefined && inner[f.name] !== f.defaultValue);
      value = touched ? inner : undefined;
    } else if (field.kind === "boolean") {
      // An optional switch left off is the API's default: not sent.
      value = raw === true ? true : field.required || field.defaultValue !== undefined ? false : undefined;
    } else if (isEmpty(raw)) value = undefined;
    if (value === undefined && opts.update && !field.required && !opts.secrets?.includes(field.name)) value = null;
    if (value !== undefined) out[field.name] = value;
  }
  return out;
}

/**
 * In an update, a secret left empty keeps the stored one: the schema's "required" (or SFTP's "a
 * password or a key") does not apply to a field the server already holds.
 */
export function withoutKeptSecrets(errors: FormErrors, config: InputValues, secrets: readonly string[], stored: readonly string[]): FormErrors {
  if (stored.length === 0) return errors;
  const kept = secrets.filter((f) => config[f] === "");
  return Object.fromEntries(Object.entries(errors).filter(([path]) => !kept.some((f) => path === `config.${f}`)));
}
