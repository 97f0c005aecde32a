import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresConnection, resolveBackupOptions, type HoldfastError } from "@holdfast/shared";
import { failureOf, freeLoopbackPort, makeTempDir } from "../../testing/helpers.js";
import { startPrivatePostgres, type PrivatePostgres } from "../../testing/private-postgres.js";
import { PostgresEngine } from "./engine.js";

/**
 * Wrong credentials, a missing database and a closed port each answer their own catalog code, on
 * every path that connects: the connection test, the dump, the restore, the drill's snapshot session.
 */
describe("PostgreSQL failures told apart, against a server that checks passwords", () => {
  let server: PrivatePostgres;
  const tmp = makeTempDir("pg-failures");
  const engine = new PostgresEngine({ tmpDir: tmp, connectTimeoutSeconds: 2 });
  const wrong = "not-the-Pa55word:\\x";
  const conn = (over: Partial<PostgresConnection> = {}): PostgresConnection =>
    PostgresConnection.parse({ host: "127.0.0.1", port: server.port, database: "postgres", username: "postgres", password: server.password, ...over });
  const sql = (q: string, database = "postgres") =>
    execFileSync("psql", ["-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-X", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", q], {
      stdio: "pipe",
      env: { ...process.env, PGPASSWORD: server.password, PGSSLMODE: "disable" },
    });

  beforeAll(async () => {
    server = await startPrivatePostgres();
    sql("CREATE DATABASE hf_present;");
  }, 60_000);
  afterAll(() => {
    server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const dumpFailure = async (c: PostgresConnection, verify = false): Promise<HoldfastError> => {
    const handle = await engine.dump(c, verify ? resolveBackupOptions({ verify: true }) : undefined);
    handle.stdout.resume();
    return failureOf(handle.done);
  };
  const restoreFailure = (c: PostgresConnection) =>
    failureOf(engine.restore(Readable.from([zlib.gzipSync("CREATE TABLE t (id int);\n")]), c, { format: "plain", codec: "gzip" }));
  const leftovers = () => fs.readdirSync(tmp).filter((n) => n.startsWith("holdfast-"));

  it("a wrong password is DATABASE_AUTH_FAILED (422, not retried) in the connection test, the dump, the drill's snapshot and the restore; never echoed", async () => {
    const bad = conn({ password: wrong });
    for (const err of [await failureOf(engine.testConnection(bad)), await dumpFailure(bad), await dumpFailure(bad, true), await restoreFailure(bad), await failureOf(engine.listDatabases(bad))]) {
      expect(err.toBody()).toMatchObject({ code: "DATABASE_AUTH_FAILED", retryable: false });
      expect(err.status).toBe(422);
      expect(err.message).toMatch(/password authentication failed for user "postgres"/);
      const body = JSON.stringify(err.toBody());
      expect(body).not.toContain(wrong);
      expect(body).not.toContain(wrong.replace(/\\/g, "\\\\").replace(/:/g, "\\:"));
    }
    expect(leftovers()).toEqual([]);
  });

  it("a wrong password read from passwordFile, and a role that does not exist, are DATABASE_AUTH_FAILED too", async () => {
    const file = path.join(tmp, "pw");
    fs.writeFileSync(file, `${wrong}\n`, { mode: 0o600 });
    const fromFile = await failureOf(engine.testConnection(conn({ password: undefined, passwordFile: file })));
    expect(fromFile.code).toBe("DATABASE_AUTH_FAILED");
    expect(JSON.stringify(fromFile.toBody())).not.toContain(wrong);
    const noRole = await failureOf(engine.testConnection(conn({ username: "hf_nobody" })));
    // With password authentication the server does not say whether the role exists.
    expect(noRole).toMatchObject({ code: "DATABASE_AUTH_FAILED", message: expect.stringContaining('user "hf_nobody"') });
  });

  it("a database that does not exist is DATABASE_NOT_FOUND (422, not retried) in the connection test, the dump and the restore", async () => {
    const missing = conn({ database: "hf_absent" });
    for (const err of [await failureOf(engine.testConnection(missing)), await dumpFailure(missing), await restoreFailure(missing)]) {
      expect(err.toBody()).toMatchObject({ code: "DATABASE_NOT_FOUND", retryable: false, details: { stderr: expect.stringContaining('database "hf_absent" does not exist') } });
      expect(err.status).toBe(422);
      expect(err.message).toContain('"hf_absent"');
    }
  });

  it("a closed port is DATABASE_UNREACHABLE (503, retried) in the connection test, the dump and the restore", async () => {
    const closed = conn({ port: await freeLoopbackPort() });
    for (const err of [await failureOf(engine.testConnection(closed)), await dumpFailure(closed), await restoreFailure(closed)]) {
      expect(err.toBody()).toMatchObject({ code: "DATABASE_UNREACHABLE", retryable: true });
      expect(err.status).toBe(503);
      expect(err.message).toMatch(/Connection refused/);
    }
  });

  it("a server that accepts the connection and never answers is DATABASE_UNREACHABLE once the connect timeout passed", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s)).listen(0, "127.0.0.1");
    await new Promise((r) => silent.once("listening", r));
    try {
      const err = await failureOf(engine.testConnection(conn({ port: (silent.address() as net.AddressInfo).port })));
      expect(err).toMatchObject({ code: "DATABASE_UNREACHABLE", message: expect.stringMatching(/timeout expired/) });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("lists the databases when the configured one does not exist, through `postgres`, else `template1`", async () => {
    const names = async (c: PostgresConnection) => (await engine.listDatabases(c)).map((d) => d.name);
    expect(await names(conn({ database: "hf_absent" }))).toEqual(expect.arrayContaining(["hf_present", "postgres"]));
    // Wrong credentials are not retried against other databases: the answer stays the refusal.
    await expect(engine.listDatabases(conn({ database: "hf_absent", password: wrong }))).rejects.toMatchObject({ code: "DATABASE_AUTH_FAILED" });
    sql("DROP DATABASE postgres", "hf_present");
    const withoutPostgres = await names(conn({ database: "hf_absent" }));
    expect(withoutPostgres).toContain("hf_present");
    expect(withoutPostgres).not.toContain("postgres");
  });
});
