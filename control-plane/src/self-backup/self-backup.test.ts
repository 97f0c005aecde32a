import { execFileSync } from "node:child_process";
import { readFile, rm, stat, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { createHash, randomBytes } from "node:crypto";
import { HoldfastError } from "@holdfast/shared";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, describe, expect, it } from "vitest";
import type { Database } from "../db/index.js";
import { createTestDatabase, type Dialect, type TestDatabase } from "../testing/databases.js";
import { masterKeyId, planMasterKey } from "./master-key-note.js";
import { readSelfExport } from "./read-export.js";
import { restoreSelfExport } from "./restore-export.js";
import { countRows, exportedTables, PAGE_ROWS, tablePages } from "./table-pages.js";
import { EXPORTED_TABLES, LEFT_OUT_TABLES } from "./tables.js";
import { writeSelfExport } from "./write-export.js";
import * as schema from "../db/schema.sqlite.js";

const opened: TestDatabase[] = [];
afterAll(async () => {
  for (const d of opened) await d.cleanup();
});
async function fresh(dialect: Dialect): Promise<TestDatabase> {
  const d = await createTestDatabase(dialect);
  opened.push(d);
  return d;
}

/** One of everything, with nulls, booleans, reals and unicode, and more runs than a page. */
async function seed(database: Database): Promise<void> {
  const { db, t } = database;
  const now = 1_796_000_000_000;
  await db.insert(t.users).values({ id: "usr_1", email: "ops@example.test", passwordHash: "$argon2id$x", role: "admin", createdAt: now, disabledAt: null });
  await db.insert(t.apiTokens).values({ id: "tok_1", userId: "usr_1", tokenHash: "h1", createdAt: now, name: "ci ✓", role: "operator", tokenPrefix: "hf_api_ab" });
  await db.insert(t.enrollmentTokens).values({ id: "enr_1", tokenHash: "e1", expiresAt: now + 1, createdAt: now });
  await db.insert(t.agents).values({ id: "agt_1", name: "db-host", hostname: "db1", keyId: "kid1", publicKeyJwk: '{"kty":"OKP"}', status: "offline", lastAckedSequence: 42, createdAt: now, protocolVersion: 1, linkSecurity: "tls" });
  await db.insert(t.agentJti).values([{ agentId: "agt_1", jti: "b".repeat(16), expiresAt: now }, { agentId: "agt_1", jti: "a".repeat(16), expiresAt: now }]);
  await db.insert(t.datasources).values({ id: "ds_1", agentId: "agt_1", name: "shop", engine: "postgres", connectionRedacted: "{}", createdAt: now, tags: '["prod"]' });
  await db.insert(t.destinations).values({ id: "dst_1", name: "s3", type: "s3", config: "{}", createdAt: now, secrets: "v1.sealed", isDefault: true, maxSizeGb: 12.5 });
  await db.insert(t.schedules).values({ id: "sch_1", datasourceId: "ds_1", name: "nightly", cron: "0 3 * * *", timezone: "Europe/Lisbon", destinationIds: '["dst_1"]', verify: true, paused: false, fireCursor: now, createdAt: now, updatedAt: now });
  const runs = Array.from({ length: PAGE_ROWS * 2 + 7 }, (_, i) => ({
    id: `run_${String(i).padStart(5, "0")}`,
    kind: "backup",
    trigger: "schedule",
    agentId: "agt_1",
    datasourceId: "ds_1",
    state: "completed",
    idempotencyKey: `k${i}`,
    sizeBytes: 2 ** 40 + i,
    sha256: "0".repeat(64),
    verified: i % 3 === 0 ? null : i % 2 === 0,
    error: i === 5 ? '{"message":"naïve – ünïcode \\n"}' : null,
    createdAt: now + i,
  }));
  for (let i = 0; i < runs.length; i += 200) await db.insert(t.runs).values(runs.slice(i, i + 200));
  await db.insert(t.deliveries).values({ id: "dlv_1", runId: "run_00000", destinationId: "dst_1", state: "completed", path: "ds_1/x.sql.gz", attempts: 1, bytes: 10, updatedAt: now });
  await db.insert(t.agentEvents).values({ agentId: "agt_1", sequence: 1, eventId: "evt_1", runId: "run_00000", type: "backupCompleted", data: "{}", occurredAt: now, receivedAt: now });
  await db.insert(t.auditLog).values({ id: "aud_1", at: now, action: "POST /destinations", target: "{}", fields: "[]", status: 201, clientAddress: "127.0.0.1" });
  await db.insert(t.notificationChannels).values({ id: "nch_1", name: "hook", type: "webhook", config: "{}", events: "[]", minSeverity: "warning", createdAt: now, updatedAt: now });
  await db.insert(t.notificationConditions).values({ conditionKey: "agent_offline:agt_1", kind: "agent_offline", openedAt: now, lastSeenAt: now });
  await db.insert(t.sessions).values({ id: "ses_1", userId: "usr_1", tokenHash: "s1", createdAt: now, lastSeenAt: now });
}

/** Every exported table's rows, in key order, as the application reads them. */
async function contents(database: Database): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const ref of exportedTables(database.t)) {
    out[ref.name] = [];
    for await (const page of tablePages(database.db, ref)) out[ref.name]!.push(...page);
  }
  return out;
}

const pairs: Array<[Dialect, Dialect]> = [
  ["sqlite", "sqlite"],
  ["postgres", "postgres"],
  ["sqlite", "postgres"],
  ["postgres", "sqlite"],
];

describe("backup-self and restore-self", () => {
  it("decides about every table: exported or left out with a reason", () => {
    const decided = [...EXPORTED_TABLES.map((e) => e.table), ...Object.keys(LEFT_OUT_TABLES)].sort();
    expect(decided).toEqual(Object.keys(schema).filter((k) => typeof (schema as Record<string, unknown>)[k] === "object").sort());
  });

  for (const [from, to] of pairs) {
    it(`restores a ${from} export into an empty ${to} database row for row`, async () => {
      const [source, target] = await Promise.all([fresh(from), fresh(to)]);
      await seed(source.database);
      const file = join(source.dir, "cp.hfx");
      const key = randomBytes(32);
      const summary = await writeSelfExport(source.database, { file, recipients: [], masterKey: key, includeMasterKey: false });
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(summary.header).toMatchObject({ dialect: from, migration: expect.stringMatching(/^\d{4}_/), masterKey: { id: masterKeyId(key) } });
      expect(summary.header.masterKey).not.toHaveProperty("key");
      expect(summary.header.tables.find((t) => t.name === "runs")?.rows).toBe(PAGE_ROWS * 2 + 7);
      expect(summary.header.leftOut).toContain("sessions");

      const header = await readSelfExport(file);
      const restored = await restoreSelfExport(target.database, file, header, { force: false });
      expect(restored.tables).toEqual(summary.header.tables);
      expect(await contents(target.database)).toEqual(await contents(source.database));
      // Left out as derived: the triggers rebuilt it from the restored deliveries, equal to the source's.
      const usage = async (d: typeof source.database) => (await d.db.select().from(d.t.destinationUsage)).sort((a, b) => a.destinationId.localeCompare(b.destinationId));
      expect(await usage(source.database)).not.toEqual([]);
      expect(await usage(target.database)).toEqual(await usage(source.database));
      expect(await target.database.db.select().from(target.database.t.sessions)).toEqual([]);
      expect(await target.database.db.select().from(target.database.t.liveEvents)).toEqual([]);
    });
  }

  it("refuses a non-empty database unless --force, which replaces it in one go", async () => {
    const [source, target] = await Promise.all([fresh("sqlite"), fresh("sqlite")]);
    await seed(source.database);
    const file = join(source.dir, "cp.hfx");
    await writeSelfExport(source.database, { file, recipients: [], masterKey: null, includeMasterKey: false });
    const header = await readSelfExport(file);
    await target.database.db.insert(target.database.t.users).values({ id: "usr_other", email: "x@y.test", passwordHash: "h", role: "viewer", createdAt: 1 });
    const err = await restoreSelfExport(target.database, file, header, { force: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err).toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY" });
    expect((await target.database.db.select().from(target.database.t.users)).map((u) => u.id)).toEqual(["usr_other"]);
    await restoreSelfExport(target.database, file, header, { force: true });
    expect(await contents(target.database)).toEqual(await contents(source.database));
  });

  it("refuses a cut-short or altered export, and one of another schema, leaving the target empty", async () => {
    const [source, target] = await Promise.all([fresh("sqlite"), fresh("postgres")]);
    await seed(source.database);
    const file = join(source.dir, "cp.hfx");
    await writeSelfExport(source.database, { file, recipients: [], masterKey: null, includeMasterKey: false });
    const bytes = await readFile(file);

    const cut = join(source.dir, "cut.hfx");
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    await expect(readSelfExport(cut)).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH" });

    // A changed byte inside a row, gzip made whole again: only the trailer's SHA-256 notices.
    const plain = gunzipSync(bytes).toString("utf8").replace('"name":"shop"', '"name":"shoq"');
    const altered = join(source.dir, "altered.hfx");
    await writeFile(altered, gzipSync(plain));
    await expect(readSelfExport(altered)).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH", message: expect.stringContaining("SHA-256") });

    // Another schema migration, hash made right: refused by name, the database untouched.
    const lines = gunzipSync(bytes).toString("utf8").split("\n").filter(Boolean);
    lines[0] = lines[0]!.replace(/"migration":"[^"]+"/, '"migration":"0003_destinations"');
    const body = `${lines.slice(0, -1).join("\n")}\n`;
    const trailer = JSON.parse(lines.at(-1)!) as { end: { rows: number } };
    const older = join(source.dir, "older.hfx");
    await writeFile(older, gzipSync(`${body}${JSON.stringify({ end: { rows: trailer.end.rows, sha256: createHash("sha256").update(body).digest("hex") } })}\n`));
    const header = await readSelfExport(older);
    const err = await restoreSelfExport(target.database, older, header, { force: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringMatching(/0003_destinations.*this database is at 0\d{3}_/) });
    for (const ref of exportedTables(target.database.t)) expect(await countRows(target.database.db, ref)).toBe(0);
  });

  it("rolls everything back when the file changes between the check and the load", async () => {
    const [source, target] = await Promise.all([fresh("sqlite"), fresh("sqlite")]);
    await seed(source.database);
    const file = join(source.dir, "cp.hfx");
    await writeSelfExport(source.database, { file, recipients: [], masterKey: null, includeMasterKey: false });
    const header = await readSelfExport(file);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 40));
    await expect(restoreSelfExport(target.database, file, header, { force: false })).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH" });
    for (const ref of exportedTables(target.database.t)) expect(await countRows(target.database.db, ref)).toBe(0);
  });

  it("encrypts with age: the age CLI opens it, a wrong identity is refused, the master key only inside", async () => {
    const source = await fresh("sqlite");
    await seed(source.database);
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const file = join(source.dir, "cp.hfx.age");
    const key = randomBytes(32);
    await expect(writeSelfExport(source.database, { file, recipients: [], masterKey: key, includeMasterKey: true })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect((await readdir(source.dir)).filter((f) => f.includes(".tmp"))).toEqual([]);
    await writeSelfExport(source.database, { file, recipients: [recipient], masterKey: key, includeMasterKey: true });
    expect((await readFile(file)).subarray(0, 21).toString()).toBe("age-encryption.org/v1");

    const idFile = join(source.dir, "id.txt");
    await writeFile(idFile, `${identity}\n`, { mode: 0o600 });
    const plain = gunzipSync(execFileSync("age", ["--decrypt", "-i", idFile, file]));
    const header = JSON.parse(plain.toString("utf8").split("\n")[0]!);
    expect(header).toMatchObject({ format: "holdfast-self-backup", masterKey: { id: masterKeyId(key), key: key.toString("base64") } });

    expect((await readSelfExport(file, { identity })).masterKey?.key).toBe(key.toString("base64"));
    await expect(readSelfExport(file)).rejects.toMatchObject({ code: "DECRYPTION_FAILED" });
    await expect(readSelfExport(file, { identity: await generateX25519Identity() })).rejects.toMatchObject({ code: "DECRYPTION_FAILED" });
    await rm(idFile);
  });

  it("tells a file that is not an export, and an output folder that does not exist", async () => {
    const source = await fresh("sqlite");
    const notOurs = join(source.dir, "notes.txt.gz");
    await writeFile(notOurs, gzipSync("hello\n"));
    await expect(readSelfExport(notOurs)).rejects.toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("not a Holdfast control plane export") });
    await writeFile(notOurs, "plain text\n");
    await expect(readSelfExport(notOurs)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    const file = join(source.dir, "missing", "cp.hfx");
    await expect(writeSelfExport(source.database, { file, recipients: [], masterKey: null, includeMasterKey: false })).rejects.toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("no folder") });
  });

  it("plans the master key: same, install, or refuse unless forced", () => {
    const key = randomBytes(32);
    const other = randomBytes(32);
    const env = { masterKey: undefined, masterKeyFile: "/data/master.key" };
    const note = { id: masterKeyId(key) };
    expect(planMasterKey(null, null, env, false)).toEqual({ kind: "none-sealed" });
    expect(planMasterKey(note, key, env, false)).toEqual({ kind: "same" });
    expect(planMasterKey({ ...note, key: key.toString("base64") }, null, env, false)).toEqual({ kind: "install", key: key.toString("base64") });
    expect(() => planMasterKey(note, other, env, false)).toThrow(/not this control plane's/);
    expect(() => planMasterKey(note, null, env, false)).toThrow(/has none/);
    expect(planMasterKey(note, null, env, true)).toEqual({ kind: "without-secrets" });
  });
});
