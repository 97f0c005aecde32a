import { DatasourceConfig, type DatasourceConfigUpdate, HoldfastError, REDACTED, redactConnection, type CommandData } from "@holdfast/shared/protocol";
import { engineFor } from "../engines/registry.js";
import type { RunContext } from "../runs/context.js";
import { deleteDatasource, listDatasources, replaceDatasource, requireDatasource, saveDatasource, toDatasourceView } from "../store/datasources.js";
import { findActiveRunOf } from "../queue/queue-queries.js";

type ConfigAnswer = CommandData<"createDatabaseConfig">;

export function createDatabaseConfig(ctx: RunContext, config: DatasourceConfig): ConfigAnswer {
  saveDatasource(ctx.store, config);
  return { datasourceId: config.datasourceId, connection: redactConnection(config.connection) };
}

/**
 * The config an update asks for, its password settled: one given replaces the stored one; none keeps
 * it unless the update names a `passwordFile` or says `storedPassword: "remove"`. The engine never
 * changes (another engine is another datasource, with other tools and other backups).
 */
export function mergeUpdate(current: DatasourceConfig, update: DatasourceConfigUpdate): DatasourceConfig {
  if (update.engine !== current.engine) {
    throw new HoldfastError(
      "VALIDATION_FAILED",
      `Datasource ${current.datasourceId} is ${current.engine}; the engine of a datasource never changes: create a new datasource for ${update.engine}`,
      { issues: [{ path: "engine", message: `must stay ${current.engine}` }] },
    );
  }
  const { storedPassword, test: _test, maxDurationMinutes, priority, ...rest } = update;
  // The mask is what every answer shows for a password: sent back, it means "unchanged".
  const { password, ...connection } = rest.connection as { password?: string; passwordFile?: string };
  const given = password === REDACTED ? undefined : password;
  const stored = (current.connection as { password?: string }).password;
  const kept = given === undefined && connection.passwordFile === undefined && storedPassword === "keep" ? stored : undefined;
  return DatasourceConfig.parse({
    ...rest,
    connection: { ...connection, ...((given ?? kept) !== undefined ? { password: given ?? kept } : {}) },
    maxDurationMinutes: maxDurationMinutes ?? current.maxDurationMinutes,
    // Absent keeps the stored priority, null goes back to the agent's defaults.
    ...(priority === null ? {} : (priority ?? current.priority) ? { priority: priority ?? current.priority } : {}),
  });
}

/**
 * Replaces an existing config (404 DATASOURCE_NOT_FOUND otherwise). With `test`, the engine connects
 * with the new config before it is saved: a failure answers the engine's error and the stored
 * config stays as it was, so there is never a broken config to roll back.
 */
export async function updateDatabaseConfig(ctx: RunContext, update: DatasourceConfigUpdate): Promise<CommandData<"updateDatabaseConfig">> {
  const next = mergeUpdate(requireDatasource(ctx.store, update.datasourceId), update);
  const test = update.test ? await engineFor(ctx.engines, next.engine).testConnection(next.connection) : null;
  const saved = replaceDatasource(ctx.store, next);
  ctx.log.info({ datasourceId: saved.datasourceId, tested: update.test }, "datasource updated");
  return {
    ...toDatasourceView(saved),
    test: test ? { ok: true, latencyMs: test.latencyMs, serverVersion: test.serverVersion, databaseSizeBytes: test.databaseSizeBytes } : null,
  };
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
