// The benchmarks' source databases, generated once and kept between runs (drop one to regenerate):
// holdfast_bench_pgbench_<mb> (`pgbench -i`: repetitive, compresses about 5x) and
// holdfast_bench_random_<mb> (random text and bytea: compresses less than 2x).
import { spawn } from "node:child_process";
import postgres from "postgres";
import { PG_ADMIN_URL, urlFor } from "../../support/postgres.js";

export type Kind = "pgbench" | "random";
export const PG = new URL(PG_ADMIN_URL);
export const PG_CONN = { host: PG.hostname, port: Number(PG.port || "5432"), username: PG.username || "postgres" };

export function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** Makes (once) a database whose plain dump is about `mb` MiB; answers its name. */
export async function ensureDatabase(kind: Kind, mb: number): Promise<string> {
  const name = `holdfast_bench_${kind}_${mb}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    if ((await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0) return name;
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  process.stderr.write(`generating ${name}...\n`);
  try {
    if (kind === "pgbench") {
      // A scale unit dumps to about 9 MiB of plain SQL (measured: scale 2, 18 MiB).
      await run("pgbench", ["-i", "-q", "-s", String(Math.max(1, Math.round(mb / 9))), "-h", PG_CONN.host, "-p", String(PG_CONN.port), "-U", PG_CONN.username, name]);
    } else {
      await fillRandom(urlFor(name), mb);
    }
  } catch (err) {
    // A half-filled database would be reused silently next time.
    const again = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    await again.unsafe(`DROP DATABASE IF EXISTS "${name}"`).finally(() => again.end());
    throw err;
  }
  return name;
}

/**
 * Rows of base64 text (512 random bytes: about 700 characters, compresses to about 3/4) and random
 * bytea (1 KiB, dumped as 2 KiB of hex, compresses to about half): about 2.8 KiB of dump a row.
 */
async function fillRandom(url: string, mb: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe("CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TABLE noise (id int PRIMARY KEY, note text, blob bytea)");
    const rows = Math.ceil((mb * 1024 * 1024) / 2860);
    for (let from = 1; from <= rows; from += 20_000) {
      const to = Math.min(rows, from + 19_999);
      await sql`INSERT INTO noise SELECT g, encode(gen_random_bytes(512), 'base64'), gen_random_bytes(1024) FROM generate_series(${from}::int, ${to}::int) g`;
    }
  } finally {
    await sql.end();
  }
}
