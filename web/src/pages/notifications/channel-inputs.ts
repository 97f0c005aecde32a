import {
  DEFAULT_NOTIFICATION_KINDS,
  NOTIFICATION_CHANNEL_CONFIGS,
  NOTIFICATION_SECRET_FIELDS,
  type NotificationChannelType,
  type NotificationKind,
  type NotificationSeverity,
  REDACTED,
} from "@holdfast/shared";
import type { FormErrors } from "@mantine/form";
import { fieldsOf, type SchemaField } from "../../ui/schema-form/field-kinds.js";
import { initialInputs, type InputValues, toPayload, withoutKeptSecrets } from "../../ui/schema-form/form-values.js";
import type { ChannelItem } from "./notifications-query.js";

export interface ChannelInputs {
  name: string;
  type: NotificationChannelType;
  config: InputValues;
  events: NotificationKind[];
  minSeverity: NotificationSeverity;
  enabled: boolean;
}

const FIELDS = Object.fromEntries(Object.entries(NOTIFICATION_CHANNEL_CONFIGS).map(([type, schema]) => [type, fieldsOf(schema)])) as Record<NotificationChannelType, SchemaField[]>;

export const configFields = (type: NotificationChannelType) => FIELDS[type];
export const secretFields = (type: NotificationChannelType): readonly string[] => NOTIFICATION_SECRET_FIELDS[type];

export function blankInputs(type: NotificationChannelType): ChannelInputs {
  return { name: "", type, config: initialInputs(FIELDS[type]), events: [...DEFAULT_NOTIFICATION_KINDS], minSeverity: "info", enabled: true };
}

/** The stored secrets (answered as the mask) are never put in a field. */
export function storedInputs(c: ChannelItem): ChannelInputs {
  const config = { ...c.config };
  for (const field of secretFields(c.type)) delete config[field];
  return { name: c.name, type: c.type, config: initialInputs(FIELDS[c.type], config), events: c.events, minSeverity: c.minSeverity, enabled: c.enabled };
}

export const storedSecretsOf = (c: ChannelItem | undefined) => (c ? secretFields(c.type).filter((f) => c.config[f] === REDACTED) : []);

export function createBody(inputs: ChannelInputs): Record<string, unknown> {
  return { name: inputs.name, type: inputs.type, config: toPayload(FIELDS[inputs.type], inputs.config, { update: false }), events: inputs.events, minSeverity: inputs.minSeverity, enabled: inputs.enabled };
}

export function updateBody(inputs: ChannelInputs): Record<string, unknown> {
  return {
    name: inputs.name,
    config: toPayload(FIELDS[inputs.type], inputs.config, { update: true, secrets: secretFields(inputs.type) }),
    events: inputs.events,
    minSeverity: inputs.minSeverity,
    enabled: inputs.enabled,
  };
}

/** The form's errors without those of the secrets the server keeps (`withoutKeptSecrets`). */
export const withoutStoredSecrets = (errors: FormErrors, inputs: ChannelInputs, stored: readonly string[]): FormErrors =>
  withoutKeptSecrets(errors, inputs.config, secretFields(inputs.type), stored);
