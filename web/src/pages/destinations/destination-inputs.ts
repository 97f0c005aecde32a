import { DESTINATION_CONFIGS, DESTINATION_SECRET_FIELDS, type DestinationType, REDACTED } from "@holdfast/shared";
import type { FormErrors } from "@mantine/form";
import { fieldsOf, type SchemaField } from "../../ui/schema-form/field-kinds.js";
import { initialInputs, type InputValues, toPayload, withoutKeptSecrets } from "../../ui/schema-form/form-values.js";
import type { DestinationItem } from "./destinations-query.js";

export interface DestinationInputs {
  name: string;
  type: DestinationType;
  config: InputValues;
  maxSizeGb: number | "";
  /** MiB/s; empty for no cap. */
  transferCapMiBps: number | "";
  isDefault: boolean;
}

const FIELDS = Object.fromEntries(Object.entries(DESTINATION_CONFIGS).map(([type, schema]) => [type, fieldsOf(schema)])) as Record<DestinationType, SchemaField[]>;

export const configFields = (type: DestinationType) => FIELDS[type];
export const secretFields = (type: DestinationType): readonly string[] => DESTINATION_SECRET_FIELDS[type];

export function blankInputs(type: DestinationType): DestinationInputs {
  return { name: "", type, config: initialInputs(FIELDS[type]), maxSizeGb: "", transferCapMiBps: "", isDefault: false };
}

/** The stored secrets (answered as the mask) are never put in a field. */
export function storedInputs(d: DestinationItem): DestinationInputs {
  const config = { ...d.config };
  for (const field of secretFields(d.type)) delete config[field];
  return { name: d.name, type: d.type, config: initialInputs(FIELDS[d.type], config), maxSizeGb: d.maxSizeGb ?? "", transferCapMiBps: d.transferCapMiBps ?? "", isDefault: d.isDefault };
}

/** The secrets the server holds for a stored destination. */
export const storedSecretsOf = (d: DestinationItem | undefined) => (d ? secretFields(d.type).filter((f) => d.config[f] === REDACTED) : []);

export function createBody(inputs: DestinationInputs): Record<string, unknown> {
  return {
    name: inputs.name,
    type: inputs.type,
    config: toPayload(FIELDS[inputs.type], inputs.config, { update: false }),
    ...(inputs.maxSizeGb === "" ? {} : { maxSizeGb: inputs.maxSizeGb }),
    ...(inputs.transferCapMiBps === "" ? {} : { transferCapMiBps: inputs.transferCapMiBps }),
    ...(inputs.isDefault ? { isDefault: true } : {}),
  };
}

export function updateBody(inputs: DestinationInputs): Record<string, unknown> {
  return {
    name: inputs.name,
    config: toPayload(FIELDS[inputs.type], inputs.config, { update: true, secrets: secretFields(inputs.type) }),
    maxSizeGb: inputs.maxSizeGb === "" ? null : inputs.maxSizeGb,
    transferCapMiBps: inputs.transferCapMiBps === "" ? null : inputs.transferCapMiBps,
    isDefault: inputs.isDefault,
  };
}

/** The form's errors without those of the secrets the server keeps (`withoutKeptSecrets`). */
export const withoutStoredSecrets = (errors: FormErrors, inputs: DestinationInputs, stored: readonly string[]): FormErrors =>
  withoutKeptSecrets(errors, inputs.config, secretFields(inputs.type), stored);
