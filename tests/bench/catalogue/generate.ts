// A control-plane catalogue at scale, generated inside the database: 2,000 datasources, 1,000,000
// runs over two years, about 3,000,000 deliveries, and one schedule with five years of daily backups
// on one destination (the retention preview's case). The rows are made by SQL (a recursive CTE on
// SQLite, generate_series on PostgreSQL), so a full load takes a minute or two, not a row-by-row
// hour in JavaScript. Run on a migrated, empty database (openDatabase has brought its schema up).
//
// The live_events triggers fire on every inserted run and delivery: on PostgreSQL they are disabled
// for the load (ALTER TABLE ... DISABLE TRIGGER USER) and enabled after; on SQLite, which cannot
// disable a trigger, the 4 million events they wrote are deleted after the load. Either way the
// feed holds no bulk-load history, as a real catalogue's feed keeps only recent changes.
import type BetterSqlite3 from "better-sqlite3";
import type postgres from "postgres";

export const DAY_MS = 86_400_000;

export interface CatalogueSize {
  runs: number;
  datasources: number;
  agents: number;
  destinations: number;
  /** Days of daily backups of the retention schedule. */
  retentionDays: number;
}

export const FULL_SIZE: CatalogueSize = { runs: 1_000_000, datasources: 2_000, agents: 50, destinations: 5, retentionDays: 5 * 365 };

/** Fixed ids the benchmark asks for. */
export const CATALOGUE_IDS = {
  retentionSchedule: "sch_b5y",
  retentionDatasource: "ds_b5y",
  retentionDestination: "dst_b1",
  /** A datasource of the bulk runs, and its agent and schedule. */
  datasource: "ds_b0042",
  agent: "agt_b42",
  schedule: "sch_b0042",
  /** A run in the middle of the history. */
  run: (size: CatalogueSize) => `run_b${String(Math.floor(size.runs / 2)).padStart(7, "0")}`,
};

/** The two dialects' spellings of what the statements below need. */
interface Dialect {
  /** A row source `n(i)` of 1..count. */
  series(count: number): string;
  /** `expr` as text, zero-padded to `width`. */
  pad(expr: string, width: number): string;
  /** artifactObjectName of a run with no file name: `<ds>/<yyyy>/<mm>/<yyyymmddThhmmssZ>_<id>.bin`. */
  objectName(ds: string, createdAt: string, id: string): string;
  /** The statement's prefix, for the CTE that SQLite needs ahead of the SELECT. */
  with(count: number): string;
  falseValue: string;
}

const sqliteDialect: Dialect = {
  with: (count) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count}) `,
  series: () => "n",
  pad: (expr, width) => `printf('%0${width}d', ${expr})`,
  objectName: (ds, createdAt, id) =>
    `${ds} || '/' || strftime('%Y/%m/%Y%m%dT%H%M%SZ', ${createdAt} / 1000, 'unixepoch') || '_' || ${id} || '.bin'`,
  falseValue: "0",
};

const pgDialect: Dialect = {
  with: () => "",
  series: (count) => `generate_series(1, ${count}) AS n(i)`,
  pad: (expr, width) => `lpad((${expr})::text, ${width}, '0')`,
  objectName: (ds, createdAt, id) =>
    `${ds} || '/' || to_char(to_timestamp(${createdAt} / 1000) AT TIME ZONE 'UTC', 'YYYY/MM/YYYYMMDD"T"HH24MISS"Z"') || '_' || ${id} || '.bin'`,
  falseValue: "false",
};

/** The statements that fill the catalogue, in order. `now` is the newest run's creation time. */
export function catalogueStatements(dialectName: "sqlite" | "postgres", size: CatalogueSize, now: number): string[] {
  const d = dialectName === "sqlite" ? sqliteDialect : pgDialect;
  const { runs, datasources, agents, destinations, retentionDays } = size;
  const bulkDatasources = datasources - 1; // the last one is the retention schedule's
  const spacing = Math.floor((730 * DAY_MS) / runs); // two years of history
  const ds = (i: string) => `((${i}) * 7 % ${bulkDatasources}) + 1`;
  const retention = JSON.stringify({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 5 });
  const liveFrom = now - 90 * DAY_MS;
  return [
    `${d.with(agents)}INSERT INTO agents (id, name, hostname, key_id, public_key_jwk, status, last_acked_sequence, created_at)
      SELECT 'agt_b' || (i - 1), 'agent-' || i, 'host-' || i, 'key_b' || i, '{}', 'online', 0, ${now - 800 * DAY_MS} FROM ${d.series(agents)}`,
    `${d.with(destinations)}INSERT INTO destinations (id, name, type, config, created_at, is_default)
      SELECT 'dst_b' || i, 'destination-' || i, 'local', '{}', ${now - 800 * DAY_MS}, ${d.falseValue} FROM ${d.series(destinations)}`,
    `${d.with(bulkDatasources)}INSERT INTO datasources (id, agent_id, name, engine, connection_redacted, created_at, max_duration_minutes, tags)
      SELECT 'ds_b' || ${d.pad("i", 4)}, 'agt_b' || (i % ${agents}), 'db-' || i, 'postgres', '{}', ${now - 800 * DAY_MS}, 360, '[]' FROM ${d.series(bulkDatasources)}`,
    `INSERT INTO datasources (id, agent_id, name, engine, connection_redacted, created_at, max_duration_minutes, tags)
      VALUES ('${CATALOGUE_IDS.retentionDatasource}', 'agt_b1', 'five-years', 'postgres', '{}', ${now - (retentionDays + 10) * DAY_MS}, 360, '[]')`,
    // One daily schedule per bulk datasource; every third is paused, so freshness has both kinds.
    `${d.with(bulkDatasources)}INSERT INTO schedules (id, datasource_id, name, cron, timezone, destination_ids, retention, verify, paused, fire_cursor, created_at, updated_at)
      SELECT 'sch_b' || ${d.pad("i", 4)}, 'ds_b' || ${d.pad("i", 4)}, 'daily', '0 3 * * *', 'UTC', '["dst_b1","dst_b2","dst_b3"]', NULL, ${d.falseValue},
        ${dialectName === "sqlite" ? "(i % 3 = 0)" : "(i % 3 = 0)"}, ${now}, ${now - 800 * DAY_MS}, ${now - 800 * DAY_MS} FROM ${d.series(bulkDatasources)}`,
    `INSERT INTO schedules (id, datasource_id, name, cron, timezone, destination_ids, retention, verify, paused, fire_cursor, created_at, updated_at)
      VALUES ('${CATALOGUE_IDS.retentionSchedule}', '${CATALOGUE_IDS.retentionDatasource}', 'five years daily', '0 3 * * *', 'UTC', '["${CATALOGUE_IDS.retentionDestination}"]',
        '${retention}', ${d.falseValue}, ${d.falseValue}, ${now}, ${now - (retentionDays + 10) * DAY_MS}, ${now - (retentionDays + 10) * DAY_MS})`,
    // Runs: newest first by i; most completed, some failed, a few missed, cancelled or expired; a
    // handful running or queued at the top; 2% restores, 10% manual.
    `${d.with(runs)}INSERT INTO runs (id, kind, trigger, agent_id, datasource_id, state, idempotency_key, queued_at, started_at, finished_at, size_bytes, raw_size_bytes, sha256, error, schedule_id, fire_time, attempt, created_at)
      SELECT 'run_b' || ${d.pad("i", 7)},
        CASE WHEN i % 50 = 0 THEN 'restore' ELSE 'backup' END,
        CASE WHEN i % 10 = 3 THEN 'manual' ELSE 'schedule' END,
        'agt_b' || ((${ds("i")}) % ${agents}),
        'ds_b' || ${d.pad(ds("i"), 4)},
        st, 'idem_' || i, c, c + 1000,
        CASE WHEN st IN ('running', 'queued') THEN NULL ELSE c + 60000 + (i % 600) * 1000 END,
        CASE WHEN st = 'completed' THEN 1000000 + (i * 7919) % 100000000 END,
        CASE WHEN st = 'completed' THEN 4000000 + (i * 7919) % 400000000 END,
        CASE WHEN st = 'completed' THEN '${"ab".repeat(32)}' END,
        CASE WHEN st = 'failed' THEN '{"code":"DUMP_FAILED","message":"pg_dump exited with 1"}' END,
        CASE WHEN i % 10 = 3 THEN NULL ELSE 'sch_b' || ${d.pad(ds("i"), 4)} END,
        CASE WHEN i % 10 = 3 THEN NULL ELSE c END,
        1, c
      FROM (SELECT CAST(i AS BIGINT) AS i, ${now} - (CAST(i AS BIGINT) - 1) * ${spacing} AS c,
        CASE WHEN i <= 5 THEN 'running' WHEN i <= 8 THEN 'queued'
          WHEN (i * 31) % 100 < 88 THEN 'completed' WHEN (i * 31) % 100 < 95 THEN 'failed'
          WHEN (i * 31) % 100 < 97 THEN 'missed' WHEN (i * 31) % 100 < 99 THEN 'cancelled' ELSE 'expired' END AS st
        FROM ${d.series(runs)}) g`,
    // Three deliveries per backup run on three of the destinations; older than 90 days, retention
    // deleted them except one backup in 30 (the monthly one), as a GFS policy leaves a catalogue.
    `INSERT INTO deliveries (id, run_id, destination_id, state, path, attempts, bytes, started_at, duration_ms, deleted_at, deletion_reason, updated_at)
      SELECT 'dlv_b' || substr(r.id, 6) || '_' || k.j, r.id, 'dst_b' || ((CAST(substr(r.id, 6) AS INTEGER) + k.j) % ${destinations} + 1),
        CASE r.state WHEN 'completed' THEN 'completed' WHEN 'running' THEN 'pending' WHEN 'queued' THEN 'pending' ELSE 'failed' END,
        CASE WHEN r.state = 'completed' THEN ${d.objectName("r.datasource_id", "r.created_at", "r.id")} END,
        1, r.size_bytes, r.finished_at, 2000,
        CASE WHEN r.state = 'completed' AND r.created_at < ${liveFrom} AND (r.created_at / ${DAY_MS}) % 30 <> 0 THEN r.created_at + ${90 * DAY_MS} END,
        CASE WHEN r.state = 'completed' AND r.created_at < ${liveFrom} AND (r.created_at / ${DAY_MS}) % 30 <> 0 THEN 'retention' END,
        coalesce(r.finished_at, r.created_at)
      FROM runs r CROSS JOIN (SELECT 0 AS j UNION ALL SELECT 1 UNION ALL SELECT 2) k
      WHERE r.kind = 'backup' AND r.id LIKE 'run_b%'`,
    // The retention case: five years of daily, completed, scheduled backups on one destination.
    `${d.with(retentionDays)}INSERT INTO runs (id, kind, trigger, agent_id, datasource_id, state, idempotency_key, queued_at, started_at, finished_at, size_bytes, raw_size_bytes, sha256, schedule_id, fire_time, attempt, created_at)
      SELECT 'run_y' || ${d.pad("i", 5)}, 'backup', 'schedule', 'agt_b1', '${CATALOGUE_IDS.retentionDatasource}', 'completed', 'fire_' || i, c, c + 1000, c + 120000, 5000000, 20000000,
        '${"cd".repeat(32)}', '${CATALOGUE_IDS.retentionSchedule}', c, 1, c
      FROM (SELECT i, ${Math.floor(now / DAY_MS) * DAY_MS + 3 * 3_600_000} - CAST(i AS BIGINT) * ${DAY_MS} AS c FROM ${d.series(retentionDays)}) g`,
    `INSERT INTO deliveries (id, run_id, destination_id, state, path, attempts, bytes, started_at, duration_ms, updated_at)
      SELECT 'dlv_y' || substr(r.id, 6), r.id, '${CATALOGUE_IDS.retentionDestination}', 'completed', ${d.objectName("r.datasource_id", "r.created_at", "r.id")}, 1, r.size_bytes, r.finished_at, 2000, r.finished_at
      FROM runs r WHERE r.schedule_id = '${CATALOGUE_IDS.retentionSchedule}'`,
  ];
}

const TRIGGERED = ["runs", "deliveries", "agents"];

/**
 * The catalogue summaries (control-plane/src/db/schema/sqlite/catalogue.ts) a load with its triggers
 * disabled bypassed, recomputed from the rows as migration 0025 fills them. The version counters
 * need nothing: a control plane starting on the catalogue has no answer to keep yet.
 */
const SUMMARIES = [
  "DELETE FROM destination_usage",
  `INSERT INTO destination_usage (destination_id, bytes, backups)
    SELECT destination_id, coalesce(sum(bytes), 0), count(*) FROM deliveries WHERE state = 'completed' AND deleted_at IS NULL GROUP BY destination_id`,
];

export async function generateSqlite(client: BetterSqlite3.Database, size: CatalogueSize, now: number, log: (s: string) => void = () => {}): Promise<void> {
  client.pragma("synchronous = OFF");
  client.transaction(() => {
    for (const s of catalogueStatements("sqlite", size, now)) {
      const started = performance.now();
      const info = client.prepare(s).run();
      log(`${info.changes} rows in ${Math.round(performance.now() - started)} ms: ${s.slice(0, 60).replace(/\s+/g, " ")}`);
    }
    client.prepare("DELETE FROM live_events").run();
  })();
  client.pragma("synchronous = FULL");
  const started = performance.now();
  client.exec("ANALYZE");
  log(`ANALYZE in ${Math.round(performance.now() - started)} ms`);
}

export async function generatePostgres(sql: postgres.Sql, size: CatalogueSize, now: number, log: (s: string) => void = () => {}): Promise<void> {
  await sql.begin(async (tx) => {
    for (const table of TRIGGERED) await tx.unsafe(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    for (const s of catalogueStatements("postgres", size, now)) {
      const started = performance.now();
      const r = await tx.unsafe(s);
      log(`${r.count} rows in ${Math.round(performance.now() - started)} ms: ${s.slice(0, 60).replace(/\s+/g, " ")}`);
    }
    for (const table of TRIGGERED) await tx.unsafe(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    for (const s of SUMMARIES) await tx.unsafe(s);
  });
  const started = performance.now();
  await sql.unsafe("VACUUM ANALYZE");
  log(`VACUUM ANALYZE in ${Math.round(performance.now() - started)} ms`);
}
