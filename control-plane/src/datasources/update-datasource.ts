import {
  CONNECTION_SCHEMAS,
  type DatasourceConfigUpdate,
  type DatasourceConnection,
  type Engine,
  fieldIssues,
  HoldfastError,
  invalidRequest,
  newId,
  REDACTED,
  redactConnection,
  type UpdateDatasourceBody,
} from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { connectedAgent } from "./connected-agent.js";
import type { CreationTest } from "./create-datasource.js";
import { type DatasourceRow, type DatasourceView, findDatasourceRow, toView } from "./get-datasource.js";
import { serialized } from "./serialize.js";
import { assertNameFree } from "./unique-name.js";

type UpdateContext = Pick<AppContext, "database" | "clock" | "log" | "link">;

export interface UpdatedDatasource extends DatasourceView {
  /** The connection test of a changed connection, or `skipped` (asked not to, or nothing to test). */
  test: CreationTest;
}

/** The columns a PATCH writes. */
type Editable = Pick<DatasourceRow, "name" | "connectionRedacted" | "maxDurationMinutes" | "priority" | "tags" | "note" | "healthIntervalMinutes">;

const newPassword = (c: Record<string, unknown>) => typeof c.password === "string" && c.password !== REDACTED;

/**
 * The stored (redacted) connection with the changes applied, checked against the engine's schema.
 * The password sent as the mask, or not sent, stays what the agent has; `null` removes an optional
 * field. `password` and `passwordFile` are one setting: a new value of one replaces the other.
 */
export function mergeConnection(engine: Engine, stored: DatasourceConnection, changes: Record<string, unknown>): DatasourceConnection {
  const merged: Record<string, unknown> = { ...stored };
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined || (field === "password" && value === REDACTED)) continue;
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  const old = stored as Record<string, unknown>;
  const newFile = typeof changes.passwordFile === "string" && changes.passwordFile !== old.passwordFile;
  if (newFile && !newPassword(changes)) delete merged.password;
  if (newPassword(changes) && !newFile) delete merged.passwordFile;
  const parsed = CONNECTION_SCHEMAS[engine].safeParse(merged);
  if (!parsed.success) {
    throw invalidRequest(
      fieldIssues(parsed.error.issues).map((i) => ({ ...i, path: i.path ? `connection.${i.path}` : "connection" })),
      "datasource update",
    );
  }
  return parsed.data;
}

/** Another engine or agent is another datasource: refused, saying so. */
function refuseMove(field: "engine" | "agentId", current: string, asked: string | undefined): void {
  if (asked === undefined || asked === current) return;
  const instead = field === "engine" ? `for ${asked}` : `on agent ${asked}`;
  throw invalidRequest([{ path: field, message: `cannot change (it is ${current}): create a new datasource ${instead}; this one keeps its backups` }], "datasource update");
}

async function writeRow(ctx: UpdateContext, id: string, set: Partial<Editable>): Promise<DatasourceRow> {
  const { db, t } = ctx.database;
  try {
    const [row] = await db
      .update(t.datasources)
      .set(set)
      .where(and(eq(t.datasources.id, id), isNull(t.datasources.deletedAt)))
      .returning();
    if (!row) throw new HoldfastError("DATASOURCE_NOT_FOUND", `No datasource ${id}`, { datasourceId: id });
    return row;
  } catch (err) {
    // A creation or rename of the same name won the race past the check: answer as the check does.
    if (isUniqueViolation(err) && set.name !== undefined) {
      const { agentId } = await findDatasourceRow(ctx, id);
      await assertNameFree(ctx, agentId, set.name, id);
    }
    throw err;
  }
}

/**
 * `PATCH /datasources/:id`: any field but the engine and the agent. Tags and the note live here
 * only. A new name, connection, run limit or priority goes to the agent (`updateDatabaseConfig`), which
 * connects with a changed connection before saving it (unless `test: false`). The row is written
 * first, so the name is claimed by the unique index before the agent is asked; when the agent
 * refuses (a failed test, offline, a timeout), the row is put back and the agent kept what it had:
 * nothing changed on either side. Changes of one datasource run one at a time.
 */
export async function updateDatasource(ctx: UpdateContext, id: string, body: UpdateDatasourceBody): Promise<UpdatedDatasource> {
  return serialized(`datasource:${id}`, async () => {
    const row = await findDatasourceRow(ctx, id);
    const current = toView(row);
    refuseMove("engine", current.engine, body.engine);
    refuseMove("agentId", current.agentId, body.agentId);

    // The stored copy as the schema writes it (defaults, field order), so an unchanged one compares equal.
    const parsed = CONNECTION_SCHEMAS[current.engine].safeParse(current.connection);
    const stored = parsed.success ? parsed.data : current.connection;
    const connection = body.connection ? mergeConnection(current.engine, current.connection, body.connection) : stored;
    const connectionChanged = newPassword(connection) || JSON.stringify(connection) !== JSON.stringify(stored);
    const name = body.name ?? current.name;
    const maxDurationMinutes = body.maxDurationMinutes ?? current.maxDurationMinutes;
    const priority = body.priority === undefined ? row.priority : body.priority === null ? null : JSON.stringify(body.priority);
    const toAgent = connectionChanged || name !== current.name || maxDurationMinutes !== current.maxDurationMinutes || priority !== row.priority;
    if (name !== current.name) await assertNameFree(ctx, current.agentId, name, id);
    if (toAgent) await connectedAgent(ctx, current.agentId, "; it keeps this datasource's config, so a change of name, connection, run limit or priority needs it");

    const before: Editable = {
      name: row.name,
      connectionRedacted: row.connectionRedacted,
      maxDurationMinutes: row.maxDurationMinutes,
      priority: row.priority,
      tags: row.tags,
      note: row.note,
      healthIntervalMinutes: row.healthIntervalMinutes,
    };
    const after: Editable = {
      name,
      connectionRedacted: JSON.stringify(redactConnection(connection)),
      maxDurationMinutes,
      priority,
      tags: body.tags ? JSON.stringify(body.tags) : row.tags,
      note: body.note === undefined ? row.note : body.note,
      healthIntervalMinutes: body.healthIntervalMinutes === undefined ? row.healthIntervalMinutes : body.healthIntervalMinutes,
    };
    const written = await writeRow(ctx, id, after);
    if (!toAgent) return { ...toView(written), test: { skipped: true } };

    const test = connectionChanged && body.test;
    let answer;
    try {
      answer = await ctx.link.sendCommand(current.agentId, "updateDatabaseConfig", agentUpdate(current, name, connection, body, test), {
        idempotencyKey: newId("idem"),
      });
    } catch (err) {
      await writeRow(ctx, id, before).catch((undo: unknown) => ctx.log.error({ err: undo, datasourceId: id }, "could not put a datasource row back after its agent refused the change"));
      throw err;
    }
    // The agent's run limit is the one that applies (rows from before it was recorded showed the default).
    const saved = answer.maxDurationMinutes === maxDurationMinutes ? written : await writeRow(ctx, id, { maxDurationMinutes: answer.maxDurationMinutes });
    ctx.log.info({ datasourceId: id, agentId: current.agentId, connectionChanged, tested: test }, "datasource updated");
    return {
      ...toView(saved),
      test: answer.test ? { ok: true, latencyMs: answer.test.latencyMs, serverVersion: answer.test.serverVersion } : { skipped: true },
    };
  });
}

/** The command for the agent: the new connection without the mask; no password means keep it only when the mask stood for it. */
function agentUpdate(current: DatasourceView, name: string, connection: DatasourceConnection, body: Pick<UpdateDatasourceBody, "maxDurationMinutes" | "priority">, test: boolean): DatasourceConfigUpdate {
  const { password, ...rest } = connection as { password?: string };
  const masked = password === REDACTED;
  return {
    datasourceId: current.id,
    name,
    engine: current.engine,
    connection: masked ? rest : connection,
    ...(body.maxDurationMinutes !== undefined ? { maxDurationMinutes: body.maxDurationMinutes } : {}),
    ...(body.priority !== undefined ? { priority: body.priority } : {}),
    storedPassword: masked ? "keep" : "remove",
    test,
  } as DatasourceConfigUpdate;
}
