import postgres from "postgres";

/**
 * Tables with the data that breaks naive dump pipelines: NULLs everywhere, unicode beyond the BMP,
 * bytea with every byte value, a multi-megabyte row, json, arrays, a mixed-case quoted name and a
 * second schema.
 */
export async function loadAwkwardData(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      CREATE TABLE people (id serial PRIMARY KEY, name text, nickname text, born date, balance numeric(20,4), tags text[], profile jsonb);
      INSERT INTO people (name, nickname, born, balance, tags, profile) VALUES
        ('Zoë Ångström', NULL, '1984-02-29', 12345.6789, ARRAY['a','b,c','"quoted"'], '{"k": [1, 2, null], "emoji": "🦀"}'),
        ('李小龙', 'Dragon', NULL, NULL, NULL, NULL),
        (E'tab\\there\\nnewline', E'back\\\\slash', '0001-01-01', -0.0001, ARRAY[]::text[], 'null'),
        (NULL, NULL, NULL, NULL, NULL, NULL),
        ('𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧', '', '9999-12-31', 0, ARRAY[NULL, 'x'], '{}');
      CREATE TABLE blobs (id int PRIMARY KEY, data bytea);
      INSERT INTO blobs VALUES (1, (SELECT string_agg(set_byte('\\x00'::bytea, 0, b), ''::bytea) FROM generate_series(0, 255) b)), (2, NULL), (3, ''::bytea);
      CREATE TABLE big_rows (id int PRIMARY KEY, body text);
      INSERT INTO big_rows SELECT g, repeat(md5(g::text), 150000) FROM generate_series(1, 3) g;
      CREATE SCHEMA "Sales";
      CREATE TABLE "Sales"."Order Lines" ("Id" bigint PRIMARY KEY, "Amount" double precision, at timestamptz, ok boolean);
      INSERT INTO "Sales"."Order Lines" SELECT g, g * 1.5, '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 hour', g % 3 = 0 FROM generate_series(1, 5000) g;
    `);
  } finally {
    await sql.end();
  }
}

/** About `megabytes` of poorly compressible rows, for backups that take a moment and artifacts worth cutting. */
export async function loadBulkData(url: string, megabytes: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      CREATE TABLE bulk (id int PRIMARY KEY, payload text);
      INSERT INTO bulk SELECT g, (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 32) i)
      FROM generate_series(1, ${Math.ceil(megabytes * 1024)}) g;
    `);
  } finally {
    await sql.end();
  }
}
