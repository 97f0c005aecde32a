import { z } from "zod";
import { Id } from "../ids.js";
import { CONNECTION_SCHEMAS, MAX_DURATION_MINUTES, type Engine } from "../protocol/datasource.js";

function bodyOf<E extends Engine>(engine: E) {
  return z
    .object({
      agentId: Id,
      name: z.string().min(1).max(200),
      engine: z.literal(engine),
      connection: CONNECTION_SCHEMAS[engine],
      maxDurationMinutes: MAX_DURATION_MINUTES,
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
