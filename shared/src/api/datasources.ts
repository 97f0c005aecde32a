import { z } from "zod";
import { Id } from "../ids.js";
import { HealthIntervalMinutes } from "./health.js";
import { CONNECTION_SCHEMAS, Engine, MAX_DURATION_MINUTES, MaxDurationMinutes, ToolPriority } from "../protocol/datasource.js";

/**
 * A label an operator sorts datasources by (`prod`, `team:billing`, `eu-west`): short, one line,
 * trimmed. Matched exactly by `GET /datasources?tag=`.
 */
export const DatasourceTag = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters");

/** At most 20 tags; the same one twice is kept once, in the order given. */
export const DatasourceTags = z
  .array(DatasourceTag)
  .max(20)
  .transform((tags) => [...new Set(tags)]);

/** Free text for the people who run it: who owns the database, where its runbook is. */
export const DatasourceNote = z.string().max(2000);

const DatasourceName = z.string().min(1).max(200);

function bodyOf<E extends Engine>(engine: E) {
  return z
    .object({
      agentId: Id,
      name: DatasourceName,
      engine: z.literal(engine),
      connection: CONNECTION_SCHEMAS[engine],
      maxDurationMinutes: MAX_DURATION_MINUTES,
      /** Niceness and I/O class of the dump and restore tools; absent: the agent's defaults. */
      priority: ToolPriority.optional(),
      tags: DatasourceTags.default([]),
      note: DatasourceNote.optional(),
      /** Minutes between health checks through the agent; absent or null: the control plane's default (5). */
      healthIntervalMinutes: HealthIntervalMinutes.optional(),
      /**
       * Connect through the agent before storing (the default): a datasource that cannot connect is
       * refused and nothing is stored. `false` stores it untested, e.g. a restore target whose
       * database is yet to be created.
       */
      test: z.boolean().default(true),
    })
    .strict();
}

/** `POST /api/v1/datasources`: the connection is checked against the engine's own schema. */
export const CreateDatasourceBody = z.discriminatedUnion("engine", [bodyOf("postgres"), bodyOf("mysql"), bodyOf("sqlite"), bodyOf("files"), bodyOf("mongodb")]);
export type CreateDatasourceBody = z.infer<typeof CreateDatasourceBody>;

/**
 * `PATCH /api/v1/datasources/:id`. `connection` is merged field by field over the stored one and the
 * result checked against the engine's schema: the password omitted or sent as the mask keeps the
 * stored one, `null` removes an optional field (`password: null` with a `passwordFile`, `tls: null`).
 * `engine` and `agentId` may be sent back as they are, never changed: another engine or host is
 * another datasource. A changed connection is tested through the agent first unless `test: false`.
 */
export const UpdateDatasourceBody = z
  .object({
    name: DatasourceName.optional(),
    connection: z.record(z.string(), z.unknown()).optional(),
    maxDurationMinutes: MaxDurationMinutes.optional(),
    /** `null`: back to the agent's defaults. */
    priority: ToolPriority.nullable().optional(),
    tags: DatasourceTags.optional(),
    /** `null` clears it. */
    note: DatasourceNote.nullable().optional(),
    /** `null`: back to the control plane's default. */
    healthIntervalMinutes: HealthIntervalMinutes.optional(),
    engine: Engine.optional(),
    agentId: Id.optional(),
    test: z.boolean().default(true),
  })
  .strict()
  .refine((b) => Object.keys(b).some((k) => k !== "test"), "must change at least one field");
export type UpdateDatasourceBody = z.infer<typeof UpdateDatasourceBody>;

/** `GET /api/v1/datasources?tag=prod&agentId=…`: both optional, combined with AND. */
export const ListDatasourcesQuery = z.object({ tag: DatasourceTag.optional(), agentId: Id.optional() }).strict();
export type ListDatasourcesQuery = z.infer<typeof ListDatasourcesQuery>;
