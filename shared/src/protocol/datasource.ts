import { z } from "zod";

/**
 * Names that reach a dump tool are data, never options: a leading `-` could be read as a flag, `=` or
 * a URI prefix turns a libpq dbname into a connection string, and control characters have no place
 * in a host, user or database name.
 */
const inertName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !s.startsWith("-"), "must not start with '-'")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters");

export const PostgresConnection = z
  .object({
    host: inertName.refine((s) => !/[\s=/]/.test(s) || s.startsWith("/"), "must be a host name, an IP address or a socket directory"),
    port: z.number().int().min(1).max(65535).default(5432),
    database: inertName.refine((s) => !s.includes("=") && !/^[a-z]+:\/\//i.test(s), "must be a plain database name"),
    username: inertName,
    password: z.string().max(1024).optional(),
  })
  .strict();
export type PostgresConnection = z.infer<typeof PostgresConnection>;

export const Engine = z.enum(["postgres"]);
export type Engine = z.infer<typeof Engine>;

/** A datasource as both sides know it; the agent alone keeps the password. */
export const DatasourceConfig = z
  .object({
    datasourceId: z.string().min(1).max(64),
    name: z.string().min(1).max(200),
    engine: z.literal("postgres"),
    connection: PostgresConnection,
    /** A run longer than this is killed and fails RUN_TIMEOUT, so one hung dump never blocks the queue. */
    maxDurationMinutes: z.number().int().min(1).max(10_080).default(360),
  })
  .strict();
export type DatasourceConfig = z.infer<typeof DatasourceConfig>;

export const REDACTED = "********";

/** The copy the control plane may keep and show: the password replaced by a fixed mask. */
export function redactConnection(connection: PostgresConnection): PostgresConnection {
  const { password, ...rest } = connection;
  return password === undefined ? rest : { ...rest, password: REDACTED };
}
