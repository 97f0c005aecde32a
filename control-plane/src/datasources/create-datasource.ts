import { CreateDatasourceBody, HoldfastError, newId, parseOrThrow, redactConnection, type DatasourceConfig } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { getAgent } from "../agents/get-agent.js";
import type { DatasourceView } from "./get-datasource.js";

/**
 * Creates a datasource: the agent stores the full config (with the password) and the control plane
 * only the redacted copy, so a leak of its database reveals no database password.
 */
export async function createDatasource(ctx: AppContext, input: unknown): Promise<DatasourceView> {
  const body = parseOrThrow(CreateDatasourceBody, input, "datasource");
  const agent = await getAgent(ctx, body.agentId);
  if (agent.status === "revoked") throw new HoldfastError("AGENT_REVOKED", `Agent ${agent.id} was revoked`, { agentId: agent.id });
  if (!ctx.link.isOnline(agent.id)) throw new HoldfastError("AGENT_OFFLINE", `Agent ${agent.id} is not connected`, { agentId: agent.id });

  const id = newId("ds");
  const { agentId: _onControlPlaneOnly, ...rest } = body;
  const config: DatasourceConfig = { ...rest, datasourceId: id };
  await ctx.link.sendCommand(
    agent.id,
    "createDatabaseConfig",
    config,
    { idempotencyKey: `create-${id}` },
  );
  const view: DatasourceView = { id, agentId: agent.id, name: body.name, engine: body.engine, connection: redactConnection(body.connection) };
  const { db, t } = ctx.database;
  await db.insert(t.datasources).values({
    id,
    agentId: view.agentId,
    name: view.name,
    engine: view.engine,
    connectionRedacted: JSON.stringify(view.connection),
    createdAt: ctx.clock.now().getTime(),
  });
  return view;
}
