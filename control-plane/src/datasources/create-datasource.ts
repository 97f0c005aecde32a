import { type CreateDatasourceBody, HoldfastError, newId, redactConnection, type DatasourceConfig } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import type { DatasourceView } from "./get-datasource.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { connectedAgent } from "./connected-agent.js";
import { assertNameFree } from "./unique-name.js";

/** What the connection test found before the datasource was stored, or that it was asked not to run. */
export type CreationTest = { ok: true; latencyMs: number; serverVersion: string } | { skipped: true };

export interface CreatedDatasource extends DatasourceView {
  test: CreationTest;
}

/**
 * Creates a datasource: the agent stores the full config (with the password) and the control plane
 * only the redacted copy, so a leak of its database reveals no database password. Unless the body
 * says `test: false`, the agent first connects with it; a config that cannot connect is removed from
 * the agent again and the agent's error is the answer, so nothing is stored anywhere. A name already
 * used on that agent is 409 ALREADY_EXISTS.
 */
export async function createDatasource(ctx: AppContext, body: CreateDatasourceBody): Promise<CreatedDatasource> {
  const agent = await connectedAgent(ctx, body.agentId);
  await assertNameFree(ctx, agent.id, body.name);

  const id = newId("ds");
  const { agentId: _agent, tags, note, test, healthIntervalMinutes, ...rest } = body;
  const config: DatasourceConfig = { ...rest, datasourceId: id };
  await ctx.link.sendCommand(agent.id, "createDatabaseConfig", config, { idempotencyKey: `create-${id}` });
  const view: DatasourceView = {
    id,
    agentId: agent.id,
    name: body.name,
    engine: body.engine,
    connection: redactConnection(body.connection),
    maxDurationMinutes: body.maxDurationMinutes,
    priority: body.priority ?? null,
    tags,
    note: note ?? null,
    healthIntervalMinutes: healthIntervalMinutes ?? null,
    createdAt: ctx.clock.now().toISOString(),
  };
  let outcome: CreationTest;
  try {
    outcome = test ? await testConnection(ctx, agent.id, id) : { skipped: true };
    await insertDatasource(ctx, view);
  } catch (err) {
    await forgetOnAgent(ctx, agent.id, id);
    throw err;
  }
  ctx.log.info({ datasourceId: id, agentId: agent.id, tested: test }, "datasource created");
  return { ...view, test: outcome };
}

async function testConnection(ctx: AppContext, agentId: string, datasourceId: string): Promise<CreationTest> {
  const { latencyMs, serverVersion } = await ctx.link.sendCommand(agentId, "testDatabaseConnection", { datasourceId });
  return { ok: true, latencyMs, serverVersion };
}

async function insertDatasource(ctx: AppContext, view: DatasourceView): Promise<void> {
  const { db, t } = ctx.database;
  try {
    await db.insert(t.datasources).values({
      id: view.id,
      agentId: view.agentId,
      name: view.name,
      engine: view.engine,
      connectionRedacted: JSON.stringify(view.connection),
      maxDurationMinutes: view.maxDurationMinutes,
      priority: view.priority === null ? null : JSON.stringify(view.priority),
      tags: JSON.stringify(view.tags),
      note: view.note,
      healthIntervalMinutes: view.healthIntervalMinutes,
      createdAt: Date.parse(view.createdAt),
    });
  } catch (err) {
    // Another creation of the same name won the race past the check: answer as the check does.
    if (isUniqueViolation(err)) await assertNameFree(ctx, view.agentId, view.name);
    throw err;
  }
}

/**
 * Removes a config the control plane will not record. Best effort: if the agent cannot be asked,
 * it keeps a config no datasource points at (logged), which no run can reach.
 */
async function forgetOnAgent(ctx: AppContext, agentId: string, datasourceId: string): Promise<void> {
  try {
    await ctx.link.sendCommand(agentId, "deleteDatabaseConfig", { datasourceId }, { idempotencyKey: `delete-${datasourceId}` });
  } catch (err) {
    ctx.log.warn({ err, agentId, datasourceId }, "could not remove an unrecorded datasource config from the agent");
  }
}
