import { z } from "zod";
import { DatasourceConfig, PostgresConnection } from "../protocol/datasource.js";

export const CreateDatasourceBody = z
  .object({
    agentId: z.string().min(1).max(64),
    name: z.string().min(1).max(200),
    engine: z.literal("postgres"),
    connection: PostgresConnection,
    maxDurationMinutes: DatasourceConfig.shape.maxDurationMinutes,
  })
  .strict();
export type CreateDatasourceBody = z.infer<typeof CreateDatasourceBody>;
