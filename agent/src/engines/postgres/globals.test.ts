import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldfastError, resolveBackupOptions } from "@holdfast/shared";
import { runPipeline } from "../../pipeline/run-pipeline.js";
import { createDatabase, dropDatabase, makeTempDir, ManualClock, PG, psql, quoteIdent, uniqueName } from "../../testing/helpers.js";
import { PostgresEngine } from "./engine.js";

/** A plain dump with `globals: true` carries the roles; a restore applies them only when told to. */
describe("cluster globals at restore (plain dumps with globals: true)", () => {
  const tmp = makeTempDir("pg-globals");
  const engine = new PostgresEngine({ tmpDir: tmp });
  const role = uniqueName("hf_owner");
  const source = uniqueName("hf_glob_src");
  const targets: string[] = [];
  let artifact: string;

  const ownerOf = (db: string) => psql("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'", db);
  const restoreInto = async (globals: boolean) => {
    const db = uniqueName("hf_glob_dst");
    targets.push(db);
    createDatabase(db);
    const result = await engine.restore(fs.createReadStream(artifact), { ...PG, database: db }, { format: "plain", codec: "gzip", globals });
    return { db, warnings: result.warnings };
  };

  beforeAll(async () => {
    psql(`CREATE ROLE ${quoteIdent(role)}`);
    createDatabase(source);
    psql(`CREATE TABLE owned (id int); INSERT INTO owned VALUES (1), (2); ALTER TABLE owned OWNER TO ${quoteIdent(role)}`, source);
    const options = resolveBackupOptions({ format: "plain", globals: true });
    const dump = await engine.dump({ ...PG, database: source }, options);
    const staged = await runPipeline({ dump, runDir: fs.mkdtempSync(path.join(tmp, "run-")), runId: "run_glob", clock: new ManualClock(), compression: { codec: "gzip", level: 6 }, extension: ".sql.gz" });
    artifact = staged.stagingPath;
  });
  afterAll(() => {
    for (const db of [source, ...targets]) dropDatabase(db);
    psql(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("on the server it came from, restores the database and leaves the roles alone unless asked", async () => {
    const { db, warnings } = await restoreInto(false);
    expect(ownerOf(db)).toBe(role);
    expect(psql("SELECT count(*) FROM owned", db)).toBe("2");
    expect(warnings).toContain("globals: the dump carries the cluster's roles and tablespaces; not applied (restore with options.globals to apply them)");
  });

  it("on a server without the role: fails at ownership without globals, and recreates the role with them", async () => {
    dropDatabase(source);
    for (const db of targets.splice(0)) dropDatabase(db);
    psql(`DROP ROLE ${quoteIdent(role)}`);

    const err = await restoreInto(false).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe("RESTORE_FAILED");
    expect(JSON.stringify((err as HoldfastError).details)).toContain(`role \\"${role}\\" does not exist`);

    const { db, warnings } = await restoreInto(true);
    expect(ownerOf(db)).toBe(role);
    expect(psql("SELECT count(*) FROM owned", db)).toBe("2");
    // Roles that already exist here (postgres itself) are reported, not fatal.
    expect(warnings.some((w) => /^globals: .*role "postgres" already exists/.test(w))).toBe(true);
  });
});
