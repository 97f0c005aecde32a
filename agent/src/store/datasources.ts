import { DatasourceConfig, HoldfastError, redactConnection, type CommandData, type DatasourceConnection } from "@holdfast/shared/protocol";
import { z } from "zod";
import { SealedSecret } from "./secret-box.js";
import type { AgentStore } from "./store.js";

/** The stored shape: the connection without its password, plus the password sealed. */
const StoredConnection = z.object({ password: SealedSecret.optional() }).catchall(z.unknown());

interface DatasourceRow {
  id: string;
  name: string;
  engine: string;
  connection: string;
  max_duration_minutes: number;
  priority: string | null;
}

/** Stores (or replaces, reviving a deleted one) a datasource; the password is encrypted with the row id as AAD. */
export function saveDatasource(store: AgentStore, input: z.input<typeof DatasourceConfig>): void {
  const config = DatasourceConfig.parse(input);
  const { password, ...rest } = config.connection as { password?: string };
  const stored = password === undefined ? rest : { ...rest, password: store.secrets.seal(password, config.datasourceId) };
  const now = store.clock.now().toISOString();
  store.db
    .prepare(
      `INSERT INTO datasources (id, name, engine, connection, max_duration_minutes, priority, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name = excluded.name, engine = excluded.engine, connection = excluded.connection,
         max_duration_minutes = excluded.max_duration_minutes, priority = excluded.priority, updated_at = excluded.updated_at, deleted_at = NULL`,
    )
    .run(config.datasourceId, config.name, config.engine, JSON.stringify(stored), config.maxDurationMinutes, config.priority ? JSON.stringify(config.priority) : null, now, now);
}

function fromRow(store: AgentStore, row: DatasourceRow): DatasourceConfig {
  const stored = StoredConnection.parse(JSON.parse(row.connection));
  const { password, ...rest } = stored;
  const connection = { ...rest, ...(password ? { password: store.secrets.open(password, row.id) } : {}) } as DatasourceConnection;
  return DatasourceConfig.parse({
    datasourceId: row.id,
    name: row.name,
    engine: row.engine,
    connection,
    maxDurationMinutes: row.max_duration_minutes,
    ...(row.priority ? { priority: JSON.parse(row.priority) } : {}),
  });
}

export function getDatasource(store: AgentStore, datasourceId: string): DatasourceConfig | null {
  const row = store.db.prepare("SELECT * FROM datasources WHERE id = ? AND deleted_at IS NULL").get(datasourceId) as DatasourceRow | undefined;
  return row ? fromRow(store, row) : null;
}

export function requireDatasource(store: AgentStore, datasourceId: string): DatasourceConfig {
  const ds = getDatasource(store, datasourceId);
  if (!ds) throw new HoldfastError("DATASOURCE_NOT_FOUND", `No datasource ${datasourceId} on this agent`, { datasourceId });
  return ds;
}

export function listDatasources(store: AgentStore): DatasourceConfig[] {
  const rows = store.db.prepare("SELECT * FROM datasources WHERE deleted_at IS NULL ORDER BY name, id").all() as DatasourceRow[];
  return rows.map((r) => fromRow(store, r));
}

/** Replaces an existing datasource's config as given (DATASOURCE_NOT_FOUND when there is none, or it was deleted). */
export function replaceDatasource(store: AgentStore, config: DatasourceConfig): DatasourceConfig {
  return store.transaction(() => {
    requireDatasource(store, config.datasourceId);
    saveDatasource(store, config);
    return config;
  });
}

/**
 * Soft delete: run history keeps pointing at the row, but the row is gone for every command and its
 * sealed password is erased. `isBusy` runs inside the same transaction (no run can slip in between).
 */
export function deleteDatasource(store: AgentStore, datasourceId: string, isBusy: () => void): void {
  store.transaction(() => {
    const current = requireDatasource(store, datasourceId);
    isBusy();
    const { password: _dropped, ...rest } = current.connection as { password?: string };
    store.db
      .prepare("UPDATE datasources SET deleted_at = ?, connection = ? WHERE id = ?")
      .run(store.clock.now().toISOString(), JSON.stringify(rest), datasourceId);
  });
}

/** A datasource as the control plane may see it: the password masked. */
export function toDatasourceView(ds: DatasourceConfig): CommandData<"getDatabaseConfig"> {
  return {
    datasourceId: ds.datasourceId,
    name: ds.name,
    engine: ds.engine,
    connection: redactConnection(ds.connection),
    maxDurationMinutes: ds.maxDurationMinutes,
    ...(ds.priority ? { priority: ds.priority } : {}),
  };
}
