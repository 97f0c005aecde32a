import { HoldfastError, redactConnection, type CommandData, type DatasourceConfig } from "@holdfast/shared";
import { engineFor } from "../engines/registry.js";
import type { RunContext } from "../runs/context.js";
import { deleteDatasource, listDatasources, requireDatasource, saveDatasource, toDatasourceView, updateDatasource } from "../store/datasources.js";
import { findActiveRunOf } from "../queue/queue-queries.js";

type ConfigAnswer = CommandData<"createDatabaseConfig">;

export function createDatabaseConfig(ctx: RunContext, config: DatasourceConfig): ConfigAnswer {
  saveDatasource(ctx.store, config);
  return { datasourceId: config.datasourceId, connection: redactConnection(config.connection) };
}

/** Replaces an existing config (404 DATASOURCE_NOT_FOUND otherwise); no password in it keeps the stored one. */
export function updateDatabaseConfig(ctx: RunContext, config: DatasourceConfig): ConfigAnswer {
  const saved = updateDatasource(ctx.store, config);
  return { datasourceId: saved.datasourceId, connection: redactConnection(saved.connection) };
}

/** Refused with 409 INVALID_STATE_TRANSITION while a run of the datasource is queued or running. */
export function deleteDatabaseConfig(ctx: RunContext, datasourceId: string): CommandData<"deleteDatabaseConfig"> {
  deleteDatasource(ctx.store, datasourceId, () => {
    const active = findActiveRunOf(ctx.store, datasourceId);
    if (active) {
      throw new HoldfastError("INVALID_STATE_TRANSITION", `Datasource ${datasourceId} has a ${active.state} run (${active.runId}); cancel it first`, {
        datasourceId,
        runId: active.runId,
        state: active.state,
      });
    }
  });
  ctx.log.info({ datasourceId }, "datasource deleted");
  return { datasourceId, deleted: true };
}

export function listDatabaseConfigs(ctx: RunContext): CommandData<"listDatabaseConfigs"> {
  return { items: listDatasources(ctx.store).map(toDatasourceView) };
}

export function getDatabaseConfig(ctx: RunContext, datasourceId: string): CommandData<"getDatabaseConfig"> {
  return toDatasourceView(requireDatasource(ctx.store, datasourceId));
}

export async function testDatabaseConnection(ctx: RunContext, datasourceId: string): Promise<CommandData<"testDatabaseConnection">> {
  const ds = requireDatasource(ctx.store, datasourceId);
  const r = await engineFor(ctx.engines, ds.engine).testConnection(ds.connection);
  return { ok: true, latencyMs: r.latencyMs, serverVersion: r.serverVersion, databaseSizeBytes: r.databaseSizeBytes };
}

/** The non-template databases the datasource's credentials can see, also when its own database does not exist; the engine's DATABASE_* code when it cannot connect. */
export async function listDatabases(ctx: RunContext, datasourceId: string): Promise<CommandData<"listDatabases">> {
  const ds = requireDatasource(ctx.store, datasourceId);
  return { items: await engineFor(ctx.engines, ds.engine).listDatabases(ds.connection) };
}
