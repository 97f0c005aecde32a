import fs from "node:fs";
import path from "node:path";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresConnection, type TlsSettings } from "@holdfast/shared";
import { failureOf, makeTempDir } from "../../testing/helpers.js";
import { startPrivatePostgres, type PrivatePostgres } from "../../testing/private-postgres.js";
import { PostgresEngine } from "./engine.js";

/** A server that checks passwords and speaks TLS (the shared test server does neither). */
describe("PostgreSQL connections: password, passwordFile and TLS settings, against a server that checks them", () => {
  let server: PrivatePostgres;
  const tmp = makeTempDir("pg-tls");
  const engine = new PostgresEngine({ tmpDir: tmp });
  const conn = (over: Partial<PostgresConnection>): PostgresConnection =>
    PostgresConnection.parse({ host: "127.0.0.1", port: server.port, database: "postgres", username: "postgres", ...over });

  beforeAll(async () => {
    server = await startPrivatePostgres();
  }, 60_000);
  afterAll(() => {
    server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("connects and dumps with the password given by value; a wrong one is refused and never echoed", async () => {
    await expect(engine.testConnection(conn({ password: server.password }))).resolves.toMatchObject({ serverVersion: expect.stringMatching(/^PostgreSQL/) });
    const err = await failureOf(engine.testConnection(conn({ password: "wrong-Pa55word" })));
    expect(err.code).toBe("DATABASE_AUTH_FAILED");
    expect(JSON.stringify(err.toBody())).toMatch(/password authentication failed/);
    expect(JSON.stringify(err.toBody())).not.toContain("wrong-Pa55word");
  });

  it("reads passwordFile at run time (0600 only): a rotated file is used by the next run, a loose or missing one refused", async () => {
    const file = path.join(tmp, "pw");
    fs.writeFileSync(file, `${server.password}\nsecond line ignored\n`, { mode: 0o600 });
    const handle = await engine.dump(conn({ passwordFile: file }));
    const [out] = await Promise.all([text(handle.stdout), handle.done]);
    expect(out).toContain("PostgreSQL database dump complete");

    fs.writeFileSync(file, "rotated-but-wrong\n", { mode: 0o600 });
    const wrong = await failureOf(engine.testConnection(conn({ passwordFile: file })));
    expect(wrong.code).toBe("DATABASE_AUTH_FAILED");
    expect(JSON.stringify(wrong.toBody())).not.toContain("rotated-but-wrong");

    fs.chmodSync(file, 0o644);
    const loose = await failureOf(engine.testConnection(conn({ passwordFile: file })));
    expect(loose.message).toMatch(/readable by group or others \(mode 644\)/);
    const missing = await failureOf(engine.testConnection(conn({ passwordFile: path.join(tmp, "absent") })));
    expect(missing.message).toMatch(/cannot be read \(ENOENT\)/);
  });

  it("refuses password and passwordFile together, and a relative passwordFile, at the boundary", () => {
    expect(PostgresConnection.safeParse({ host: "h", database: "d", username: "u", password: "p", passwordFile: "/x" }).success).toBe(false);
    expect(PostgresConnection.safeParse({ host: "h", database: "d", username: "u", passwordFile: "pw.txt" }).success).toBe(false);
  });

  const as = (username: string, tls?: TlsSettings) => conn({ username, password: server.password, ...(tls ? { tls } : {}) });

  it("mode require uses TLS and disable does not (the server admits tls_only over TLS only, plain_only without)", async () => {
    // The server's refusal is pg_hba.conf's (SQLSTATE 28000): the login, not the network, is refused.
    await expect(engine.testConnection(as("tls_only", { mode: "require" }))).resolves.toBeTruthy();
    expect(await failureOf(engine.testConnection(as("tls_only", { mode: "disable" })))).toMatchObject({ code: "DATABASE_AUTH_FAILED", message: expect.stringMatching(/no pg_hba\.conf entry .*no encryption/) });
    await expect(engine.testConnection(as("plain_only", { mode: "disable" }))).resolves.toBeTruthy();
    expect(await failureOf(engine.testConnection(as("plain_only", { mode: "require" })))).toMatchObject({ code: "DATABASE_AUTH_FAILED", message: expect.stringMatching(/no pg_hba\.conf entry .*SSL encryption/) });
  });

  it("verify-full checks the server against caFile: the right CA connects, another CA is refused before any password is sent", async () => {
    await expect(engine.testConnection(as("tls_only", { mode: "verify-full", caFile: server.caFile }))).resolves.toBeTruthy();
    await expect(engine.testConnection(as("tls_only", { mode: "verify-ca", caFile: server.caFile }))).resolves.toBeTruthy();
    const err = await failureOf(engine.testConnection(as("tls_only", { mode: "verify-full", caFile: server.otherCaFile })));
    expect(err.code).toBe("DB_CONNECTION_TEST_FAILED");
    expect(JSON.stringify(err.toBody())).toMatch(/certificate verify failed|certificate/i);
  });

  it("dumps over verify-full TLS with the password from a file", async () => {
    const file = path.join(tmp, "pw-restore");
    fs.writeFileSync(file, `${server.password}\n`, { mode: 0o600 });
    const tls: TlsSettings = { mode: "verify-full", caFile: server.caFile };
    const handle = await engine.dump(conn({ username: "tls_only", passwordFile: file, tls }));
    const [dump] = await Promise.all([text(handle.stdout), handle.done]);
    expect(dump).toContain("PostgreSQL database dump complete");
  });
});
