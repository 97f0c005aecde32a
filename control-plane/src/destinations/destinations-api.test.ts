import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { REDACTED } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { startSftpServer, type TestSftpServer } from "../testing/sftp-server.js";

type Json = Record<string, unknown> & { id: string; config: Record<string, unknown>; error?: { code: string } };

describe.each(DIALECTS)("destinations API on %s", (dialect) => {
  let srv: TestServer;
  let s3: TestS3Server;
  let sftp: TestSftpServer;
  let operator: string;
  let viewer: string;
  const masterKey = randomBytes(32).toString("base64");

  beforeAll(async () => {
    [srv, s3, sftp] = await Promise.all([startTestServer(dialect, { vars: { HOLDFAST_MASTER_KEY: masterKey } }), startS3Server(), startSftpServer()]);
    [operator, viewer] = [await srv.token("operator"), await srv.token("viewer")];
  }, 60_000);
  afterAll(async () => {
    await Promise.all([srv?.stop(), s3?.stop(), sftp?.stop()]);
  });

  const call = async (method: string, path: string, json?: unknown, token = operator) => {
    const res = await srv.api(`/api/v1/destinations${path}`, { method, token, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Json };
  };
  const row = async (id: string) => {
    const { db, t } = srv.ctx.database;
    return (await db.select().from(t.destinations).where(eq(t.destinations.id, id)))[0]!;
  };
  const s3Body = (extra: Record<string, unknown> = {}) => ({ name: "bucket", type: "s3", config: s3.config({ prefix: `api-${randomBytes(4).toString("hex")}` }), ...extra });
  const sftpBody = () => ({ name: "ssh box", type: "sftp", config: sftp.config({ path: join(sftp.root, `api-${randomBytes(4).toString("hex")}`) }) });

  it("creates an S3 destination after a probe, and never answers or stores its secret in clear", async () => {
    const created = await call("POST", "", s3Body({ maxSizeGb: 2.5 }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: "s3", maxSizeGb: 2.5, isDefault: false, config: { secretAccessKey: REDACTED, accessKeyId: s3.accessKeyId } });
    const id = created.body.id;

    for (const answer of [await call("GET", `/${id}`, undefined, viewer), await call("GET", "", undefined, viewer)]) {
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.body)).not.toContain(s3.secretAccessKey);
      expect(JSON.stringify(answer.body)).toContain(REDACTED);
    }
    const stored = await row(id);
    expect(JSON.stringify(stored)).not.toContain(s3.secretAccessKey);
    expect(stored.secrets).toMatch(/^v1\./);

    const tested = await call("POST", `/${id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true, bytes: 256 * 1024, freeSpaceBytes: null });
  });

  it("creates an SFTP destination with a private key, stored sealed and shown masked", async () => {
    const created = await call("POST", "", sftpBody());
    expect(created.status).toBe(201);
    expect(created.body.config).toMatchObject({ privateKey: REDACTED, hostKeySha256: sftp.hostKeySha256, username: sftp.username });
    const keyBody = sftp.privateKey.split("\n")[2]!;
    expect(JSON.stringify(await row(created.body.id))).not.toContain(keyBody);
    expect(JSON.stringify((await call("GET", `/${created.body.id}`)).body)).not.toContain(keyBody);
    const tested = await call("POST", `/${created.body.id}/test`);
    expect(tested.body).toMatchObject({ ok: true });
    expect(tested.body.freeSpaceBytes).toBeGreaterThan(0);
  });

  it("a sealed secret does not open on another row (the id is bound in)", async () => {
    const a = (await call("POST", "", s3Body())).body.id;
    const b = (await call("POST", "", s3Body())).body.id;
    const { db, t } = srv.ctx.database;
    await db.update(t.destinations).set({ secrets: (await row(a)).secrets }).where(eq(t.destinations.id, b));
    const tested = await call("POST", `/${b}/test`);
    expect(tested.status).toBe(500);
    expect(tested.body.error).toMatchObject({ code: "INTERNAL_ERROR", retryable: false });
  });

  it("refuses bad input with a catalog code and stores nothing", async () => {
    const before = (await call("GET", "")).body.items;
    const cases: [unknown, number, string][] = [
      [s3Body({ config: { ...s3.config(), endpoint: "http://169.254.169.254" } }), 422, "DESTINATION_ENDPOINT_FORBIDDEN"],
      [s3Body({ config: { ...s3.config(), endpoint: "http://[fd00:ec2::254]:80" } }), 422, "DESTINATION_ENDPOINT_FORBIDDEN"],
      [s3Body({ config: { ...s3.config(), endpoint: "http://[64:ff9b::169.254.169.254]" } }), 422, "DESTINATION_ENDPOINT_FORBIDDEN"],
      [s3Body({ config: { ...s3.config(), endpoint: "http://metadata.google.internal" } }), 400, "VALIDATION_FAILED"],
      [s3Body({ config: { ...s3.config(), accessKeyId: "NOSUCHKEY" } }), 422, "DESTINATION_AUTH_FAILED"],
      [s3Body({ config: { ...s3.config(), bucket: "no-such-bucket" } }), 422, "DESTINATION_REFUSED"],
      [s3Body({ config: { ...s3.config(), secretAccessKey: REDACTED } }), 400, "VALIDATION_FAILED"],
      [{ ...sftpBody(), config: { ...sftpBody().config, privateKey: sftp.unknownPrivateKey } }, 422, "DESTINATION_AUTH_FAILED"],
      [{ ...sftpBody(), config: { ...sftpBody().config, hostKeySha256: `SHA256:${"A".repeat(43)}` } }, 422, "DESTINATION_HOST_KEY_MISMATCH"],
      [{ name: "x", type: "ftp", config: {} }, 400, "VALIDATION_FAILED"],
      // Object Lock: a bad mode or number of days, and a bucket without it (s3rver has none).
      [s3Body({ config: { ...s3.config(), objectLock: { mode: "STRICT", days: 30 } } }), 400, "VALIDATION_FAILED"],
      [s3Body({ config: { ...s3.config(), objectLock: { mode: "COMPLIANCE", days: 0 } } }), 400, "VALIDATION_FAILED"],
      [s3Body({ config: { ...s3.config(), objectLock: { mode: "COMPLIANCE", days: 30 } } }), 422, "DESTINATION_OBJECT_LOCK_DISABLED"],
    ];
    for (const [body, status, code] of cases) {
      const res = await call("POST", "", body);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
    }
    expect((await call("GET", "")).body.items).toEqual(before);
    const days = await call("POST", "", s3Body({ config: { ...s3.config(), objectLock: { mode: "COMPLIANCE", days: 0 } } }));
    expect((days.body.error as unknown as { details: { issues: { path: string }[] } }).details.issues.map((i) => i.path)).toEqual(["config.objectLock.days"]);
    const disabled = await call("POST", "", s3Body({ config: { ...s3.config(), objectLock: { mode: "COMPLIANCE", days: 30 } } }));
    expect(disabled.body.error).toMatchObject({ details: { field: "config.objectLock" }, message: expect.stringContaining("config.objectLock") });
  }, 60_000);

  it("updates: the mask or an omitted secret keeps the stored one; a new config is probed first", async () => {
    const id = (await call("POST", "", s3Body())).body.id;
    const shown = (await call("GET", `/${id}`)).body;
    const sealedBefore = (await row(id)).secrets;

    // The GET answer sent back as is: nothing changes, the secret still works.
    const same = await call("PATCH", `/${id}`, { name: "renamed", config: shown.config });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ name: "renamed", config: { secretAccessKey: REDACTED } });
    expect((await row(id)).secrets).toBe(sealedBefore);
    expect((await call("POST", `/${id}/test`)).status).toBe(200);

    // A change that fails its probe changes nothing.
    const refused = await call("PATCH", `/${id}`, { config: { accessKeyId: "NOSUCHKEY" } });
    expect(refused.body.error?.code).toBe("DESTINATION_AUTH_FAILED");
    expect((await call("GET", `/${id}`)).body.config.accessKeyId).toBe(s3.accessKeyId);

    // A working change is stored, the secret kept and resealed.
    const moved = await call("PATCH", `/${id}`, { config: { prefix: "moved", secretAccessKey: REDACTED }, maxSizeGb: 10 });
    expect(moved.body).toMatchObject({ maxSizeGb: 10, config: { prefix: "moved", secretAccessKey: REDACTED } });
    expect((await call("POST", `/${id}/test`)).status).toBe(200);
    expect((await call("PATCH", `/${id}`, { maxSizeGb: null })).body.maxSizeGb).toBeNull();

    expect((await call("PATCH", `/${id}`, { config: { bucket: "Not A Bucket!" } })).body.error?.code).toBe("VALIDATION_FAILED");
    expect((await call("PATCH", `/${id}`, {})).body.error?.code).toBe("VALIDATION_FAILED");
    expect((await call("PATCH", `/${id}`, { type: "local" })).body.error?.code).toBe("VALIDATION_FAILED");
  });

  it("refuses a local folder on /proc at once, and leaves nothing spinning behind the answer", async () => {
    const before = (await call("GET", "")).body.items;
    const refused = await call("POST", "", { name: "proc", type: "local", config: { path: "/proc/backups" } });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: "DESTINATION_REFUSED", details: { fsType: "proc", mountPoint: "/proc" } });
    expect((await call("GET", "")).body.items).toEqual(before);

    // The server (this process) spends next to no CPU once it answered: Node's recursive mkdir
    // under /proc used to loop on a core for ever. CPU time over a window, not a wall-clock bound.
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    expect(cpuMs).toBeLessThan((performance.now() - t0) / 2);
    expect((await call("GET", "")).status).toBe(200);
  });

  it("keeps one default destination", async () => {
    const a = (await call("POST", "", { name: "a", type: "local", config: { path: join(srv.dir, "a") }, isDefault: true })).body;
    expect(a.isDefault).toBe(true);
    const b = (await call("POST", "", { name: "b", type: "local", config: { path: join(srv.dir, "b") }, isDefault: true })).body;
    expect(b.isDefault).toBe(true);
    expect((await call("GET", `/${a.id}`)).body.isDefault).toBe(false);
    expect((await call("PATCH", `/${a.id}`, { isDefault: true })).body.isDefault).toBe(true);
    expect((await call("GET", `/${b.id}`)).body.isDefault).toBe(false);
    const defaults = ((await call("GET", "")).body.items as Json[]).filter((d) => d.isDefault);
    expect(defaults.map((d) => d.id)).toEqual([a.id]);
  });

  it("deletes: gone from the API, secrets wiped, the row kept for past deliveries", async () => {
    const id = (await call("POST", "", s3Body())).body.id;
    expect((await call("DELETE", `/${id}`)).status).toBe(204);
    expect((await call("GET", `/${id}`)).body.error?.code).toBe("DESTINATION_NOT_FOUND");
    expect(((await call("GET", "")).body.items as Json[]).map((d) => d.id)).not.toContain(id);
    expect((await call("DELETE", `/${id}`)).body.error?.code).toBe("DESTINATION_NOT_FOUND");
    expect((await call("POST", `/${id}/test`)).body.error?.code).toBe("DESTINATION_NOT_FOUND");
    const stored = await row(id);
    expect(stored.secrets).toBeNull();
    expect(stored.deletedAt).not.toBeNull();
  });

  it("lets a viewer read but not change", async () => {
    expect((await call("GET", "", undefined, viewer)).status).toBe(200);
    expect((await call("POST", "", s3Body(), viewer)).body.error?.code).toBe("FORBIDDEN");
    const id = ((await call("GET", "")).body.items as Json[])[0]!.id;
    for (const [method, path] of [["PATCH", `/${id}`], ["DELETE", `/${id}`], ["POST", `/${id}/test`]] as const) {
      expect((await call(method, path, method === "PATCH" ? { name: "x" } : undefined, viewer)).body.error?.code).toBe("FORBIDDEN");
    }
  });
});
