import { Checkbox, Fieldset, NumberInput, PasswordInput, Select, SimpleGrid, Stack, TagsInput, Textarea, TextInput } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import type { ReactNode } from "react";
import type { SchemaField } from "./field-kinds.js";
import classes from "./schema-fields.module.css";

/** How a field is named and explained to a person; a field without one shows its API name. */
export interface FieldText {
  label: string;
  description?: string;
  placeholder?: string;
  /** A secret that is text over lines (a private key): a masked textarea. */
  multiline?: boolean;
}

interface SchemaFieldsProps {
  fields: SchemaField[];
  // The values' shape depends on the engine or type chosen: the form is typed loosely here.
  form: UseFormReturnType<any>;
  /** Where the fields sit in the form's values (`connection`, `config`). */
  path: string;
  texts: Record<string, FieldText>;
  /** Write-only fields: masked, never filled in from the server. */
  secrets?: readonly string[];
  /** Secrets the server holds a value for: left empty, they stay as they are. */
  storedSecrets?: readonly string[];
  skip?: readonly string[];
  /** Extra content under a field (a "List databases" picker under `database`). */
  after?: Partial<Record<string, ReactNode>>;
}

const humanize = (name: string) => name.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase());

/** The inputs of one object schema of `shared/`, one per field, each of the kind the schema says. */
export function SchemaFields({ fields, form, path, texts, secrets = [], storedSecrets = [], skip = [], after = {} }: SchemaFieldsProps) {
  return (
    <Stack gap="sm">
      {fields
        .filter((f) => !skip.includes(f.name))
        .map((field) => (
          <div key={field.name}>
            <FieldInput field={field} form={form} path={`${path}.${field.name}`} text={texts[field.name] ?? { label: humanize(field.name) }} secret={secrets.includes(field.name)} stored={storedSecrets.includes(field.name)} texts={texts} />
            {after[field.name]}
          </div>
        ))}
    </Stack>
  );
}

function FieldInput({ field, form, path, text, secret, stored, texts }: { field: SchemaField; form: UseFormReturnType<any>; path: string; text: FieldText; secret: boolean; stored: boolean; texts: Record<string, FieldText> }) {
  const common = { label: text.label, description: text.description, withAsterisk: field.required };
  if (secret) {
    const placeholder = stored ? "unchanged (type to replace)" : text.placeholder;
    if (text.multiline)
      return <Textarea {...common} {...form.getInputProps(path)} placeholder={placeholder} autosize minRows={3} maxRows={8} autoComplete="off" spellCheck={false} classNames={{ input: classes.masked }} />;
    return <PasswordInput {...common} {...form.getInputProps(path)} placeholder={placeholder} autoComplete="new-password" />;
  }
  switch (field.kind) {
    case "number":
      return <NumberInput {...common} {...form.getInputProps(path)} min={field.min} max={field.max} allowDecimal={false} placeholder={field.defaultValue !== undefined ? String(field.defaultValue) : text.placeholder} />;
    case "boolean":
      return <Checkbox {...common} {...form.getInputProps(path, { type: "checkbox" })} />;
    case "list":
      return <TagsInput {...common} {...form.getInputProps(path)} placeholder={text.placeholder ?? "Type and press Enter"} clearable />;
    case "choice":
      return <Select {...common} {...form.getInputProps(path)} data={field.options} placeholder={text.placeholder ?? "Not set"} clearable={!field.required} allowDeselect={false} />;
    case "object":
      return (
        <Fieldset legend={text.label} variant="filled">
          {text.description && <div className={classes.description}>{text.description}</div>}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            {field.fields.map((inner) => (
              <FieldInput key={inner.name} field={{ ...inner, required: false }} form={form} path={`${path}.${inner.name}`} text={texts[`${field.name}.${inner.name}`] ?? { label: humanize(inner.name) }} secret={false} stored={false} texts={texts} />
            ))}
          </SimpleGrid>
        </Fieldset>
      );
    default:
      return <TextInput {...common} {...form.getInputProps(path)} placeholder={field.defaultValue !== undefined && field.defaultValue !== "" ? String(field.defaultValue) : text.placeholder} spellCheck={false} />;
  }
}
