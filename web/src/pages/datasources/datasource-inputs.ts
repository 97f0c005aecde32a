import { CONNECTION_SCHEMAS, type CreateDatasourceBody, type Engine, REDACTED, type ToolPriority } from "@holdfast/shared";
import { fieldsOf, type SchemaField } from "../../ui/schema-form/field-kinds.js";
import { initialInputs, type InputValues, toPayload } from "../../ui/schema-form/form-values.js";
import type { DatasourceItem } from "./datasources-query.js";

/** How the agent authenticates to the database: the schema's `password` or `passwordFile`, or neither (peer, trust). */
export type AuthMode = "password" | "passwordFile" | "none";

export interface DatasourceInputs {
  name: string;
  agentId: string | null;
  engine: Engine;
  connection: InputValues;
  auth: AuthMode;
  maxDurationMinutes: number | "";
  /** Each empty: the agent's default. */
  priority: PriorityInputs;
  /** Empty: the control plane's default interval. */
  healthIntervalMinutes: number | "";
  tags: string[];
  note: string;
  test: boolean;
}

export interface PriorityInputs {
  nice: number | "";
  ioClass: "" | "best-effort" | "idle";
  ioLevel: number | "";
}

const NO_PRIORITY: PriorityInputs = { nice: "", ioClass: "", ioLevel: "" };

function priorityInputs(p: ToolPriority | null): PriorityInputs {
  return p ? { nice: p.nice ?? "", ioClass: p.ioClass ?? "", ioLevel: p.ioLevel ?? "" } : NO_PRIORITY;
}

/** The priority as the API takes it; undefined when every field is left to the agent's defaults. */
export function priorityPayload(inputs: PriorityInputs): ToolPriority | undefined {
  const p = {
    ...(inputs.nice === "" ? {} : { nice: inputs.nice }),
    ...(inputs.ioClass === "" ? {} : { ioClass: inputs.ioClass }),
    ...(inputs.ioLevel === "" || inputs.ioClass === "idle" ? {} : { ioLevel: inputs.ioLevel }),
  };
  return Object.keys(p).length ? p : undefined;
}

const FIELDS = Object.fromEntries(Object.entries(CONNECTION_SCHEMAS).map(([engine, schema]) => [engine, fieldsOf(schema)])) as Record<Engine, SchemaField[]>;

export const connectionFields = (engine: Engine) => FIELDS[engine];

/** Whether the engine's schema takes a password (and so, a password file instead). */
export const hasCredentials = (engine: Engine) => FIELDS[engine].some((f) => f.name === "password");

function authOf(connection: Record<string, unknown>): AuthMode {
  if (typeof connection.passwordFile === "string") return "passwordFile";
  return connection.password !== undefined ? "password" : "none";
}

export function blankInputs(engine: Engine, agentId: string | null): DatasourceInputs {
  return { name: "", agentId, engine, connection: initialInputs(FIELDS[engine]), auth: "password", maxDurationMinutes: 360, priority: NO_PRIORITY, healthIntervalMinutes: "", tags: [], note: "", test: true };
}

/** A stored datasource's inputs; the password (the API's mask) is never put in a field. */
export function storedInputs(ds: DatasourceItem): DatasourceInputs {
  const connection = { ...(ds.connection as Record<string, unknown>) };
  const auth = authOf(connection);
  delete connection.password;
  return { name: ds.name, agentId: ds.agentId, engine: ds.engine, connection: initialInputs(FIELDS[ds.engine], connection), auth, maxDurationMinutes: ds.maxDurationMinutes, priority: priorityInputs(ds.priority), healthIntervalMinutes: ds.healthIntervalMinutes ?? "", tags: ds.tags, note: ds.note ?? "", test: true };
}

/**
 * The connection as the API takes it. `passwordKept`: in an update, the password field left empty
 * keeps the stored one. In an update, what the chosen way of authenticating leaves out is sent as
 * `null`, so the agent drops it.
 */
export function connectionPayload(inputs: DatasourceInputs, update: boolean): Record<string, unknown> {
  const connection = toPayload(FIELDS[inputs.engine], inputs.connection, { update, secrets: ["password"] });
  if (!hasCredentials(inputs.engine)) return connection;
  const drop = (field: string) => {
    if (update) connection[field] = null;
    else delete connection[field];
  };
  if (inputs.auth !== "password") drop("password");
  if (inputs.auth !== "passwordFile") drop("passwordFile");
  return connection;
}

/**
 * The creation body: what `POST /datasources` takes, and what every change is checked against as
 * the user types (an update's unchanged password counts as the mask the server keeps).
 */
export function createBody(inputs: DatasourceInputs, storedPassword = false): Record<string, unknown> {
  const connection = connectionPayload(inputs, false);
  if (storedPassword && inputs.auth === "password" && connection.password === undefined) connection.password = REDACTED;
  return {
    agentId: inputs.agentId ?? "",
    name: inputs.name,
    engine: inputs.engine,
    connection,
    ...(inputs.maxDurationMinutes === "" ? {} : { maxDurationMinutes: inputs.maxDurationMinutes }),
    ...(priorityPayload(inputs.priority) ? { priority: priorityPayload(inputs.priority) } : {}),
    ...(inputs.healthIntervalMinutes === "" ? {} : { healthIntervalMinutes: inputs.healthIntervalMinutes }),
    tags: inputs.tags,
    ...(inputs.note.trim() ? { note: inputs.note } : {}),
    test: inputs.test,
  } satisfies Partial<Record<keyof CreateDatasourceBody, unknown>>;
}

/** `PATCH /datasources/:id`: everything the form shows, the connection merged by the server over the stored one. */
export function updateBody(inputs: DatasourceInputs): Record<string, unknown> {
  return {
    name: inputs.name,
    connection: connectionPayload(inputs, true),
    ...(inputs.maxDurationMinutes === "" ? {} : { maxDurationMinutes: inputs.maxDurationMinutes }),
    priority: priorityPayload(inputs.priority) ?? null,
    healthIntervalMinutes: inputs.healthIntervalMinutes === "" ? null : inputs.healthIntervalMinutes,
    tags: inputs.tags,
    note: inputs.note.trim() ? inputs.note : null,
    test: inputs.test,
  };
}
