import postgres from "postgres";

/** The server the suites use; CI and fresh machines get one from .ci/run (see global-setup.ts). */
export const PG_ADMIN_URL = process.env.HOLDFAST_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export function urlFor(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export type ScratchDatabase = { name: string; url: string; drop(): Promise<void> };

/** A fresh, uniquely named database, dropped (with its connections) by `drop()`. */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: urlFor(name),
    async drop() {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Every user table of a database as sorted rows rendered to text: equal output means equal data. */
export async function snapshotTables(url: string): Promise<Record<string, string[]>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<{ schema: string; name: string }[]>`
      SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1, 2`;
    const out: Record<string, string[]> = {};
    for (const t of tables) {
      // Row text via the table's own record output: covers every type, NULLs, bytea and unicode exactly.
      const rows = await sql.unsafe(`SELECT t::text AS r FROM "${t.schema}"."${t.name}" t ORDER BY 1`);
      out[`${t.schema}.${t.name}`] = rows.map((row) => row.r as string);
    }
    return out;
  } finally {
    await sql.end();
  }
}
