import { DatasourceConfig, HoldfastError, type PostgresConnection } from "@holdfast/shared";
import { z } from "zod";
import { SealedSecret } from "./secret-box.js";
import type { AgentStore } from "./store.js";

/** The stored shape: the connection without its password, plus the password sealed. */
const StoredConnection = z.object({ password: SealedSecret.optional() }).catchall(z.unknown());

/** Stores (or replaces) a datasource; the password is encrypted with the row id as AAD. */
export function saveDatasource(store: AgentStore, config: DatasourceConfig): void {
  const { password, ...rest } = config.connection;
  const stored = password === undefined ? rest : { ...rest, password: store.secrets.seal(password, config.datasourceId) };
  const now = store.clock.now().toISOString();
  store.db
    .prepare(
      `INSERT INTO datasources (id, name, engine, connection, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name = excluded.name, engine = excluded.engine,
         connection = excluded.connection, updated_at = excluded.updated_at`,
    )
    .run(config.datasourceId, config.name, config.engine, JSON.stringify(stored), now, now);
}

export function getDatasource(store: AgentStore, datasourceId: string): DatasourceConfig | null {
  const row = store.db.prepare("SELECT id, name, engine, connection FROM datasources WHERE id = ?").get(datasourceId) as
    | { id: string; name: string; engine: string; connection: string }
    | undefined;
  if (!row) return null;
  const stored = StoredConnection.parse(JSON.parse(row.connection));
  const { password, ...rest } = stored;
  const connection = { ...rest, ...(password ? { password: store.secrets.open(password, row.id) } : {}) } as PostgresConnection;
  return DatasourceConfig.parse({ datasourceId: row.id, name: row.name, engine: row.engine, connection });
}

export function requireDatasource(store: AgentStore, datasourceId: string): DatasourceConfig {
  const ds = getDatasource(store, datasourceId);
  if (!ds) throw new HoldfastError("DATASOURCE_NOT_FOUND", `No datasource ${datasourceId} on this agent`, { datasourceId });
  return ds;
}
