import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../testing/harness.js";
import { seedBackup, seedDatasource } from "../../testing/seed-backup.js";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

describe("holdfast runs hold and release", () => {
  let srv: TestServer;
  let admin: string;
  let operator: string;
  let dsId: string;
  let backup: string;
  let failed: string;

  /** The real CLI from source in a child process; asynchronous, as the control plane answers from this one. */
  const holdfast = (args: string[], token = admin) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--conditions=@holdfast/source", "--import", "tsx", MAIN, ...args], {
        env: { PATH: process.env.PATH, HOLDFAST_SERVER: srv.url, HOLDFAST_TOKEN: token, HOLDFAST_CONFIG: join(srv.dir, "no-config.json"), NO_COLOR: "1" },
        timeout: 30_000,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    admin = await srv.token("admin");
    operator = await srv.token("operator");
    const agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
    const created = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } } });
    const destinationId = ((await created.json()) as { id: string }).id;
    // A completed backup whose copy is on its way (the spool copy waits): holdable.
    backup = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destinationId], bytes: randomBytes(1_000) });
    failed = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destinationId], bytes: randomBytes(10), state: "failed" });
  });
  afterAll(async () => srv?.stop());

  it("holds with a reason, shows it in runs show and runs list, and releases it", { timeout: 60_000 }, async () => {
    const held = await holdfast(["runs", "hold", backup, "--reason", "case 2026-17"]);
    expect(held.code, held.stderr).toBe(0);
    expect(held.stderr).toMatch(new RegExp(`^Run ${backup} held by admin@test.local since \\S+Z: case 2026-17\\n$`));

    const shown = await holdfast(["runs", "show", backup]);
    expect(shown.stdout).toMatch(/^Hold: +held by admin@test\.local since \S+: case 2026-17$/m);
    const listed = await holdfast(["runs", "list", "--datasource", dsId]);
    expect(listed.stdout).toMatch(new RegExp(`^${backup}\\s+backup\\s+completed \\(held\\)\\s`, "m"));
    expect(listed.stdout).toMatch(new RegExp(`^${failed}\\s+backup\\s+failed\\s`, "m"));

    const again = await holdfast(["runs", "hold", backup, "--reason", "case 2026-17 and 18", "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ runId: backup, hold: { heldBy: "admin@test.local", reason: "case 2026-17 and 18" } });

    const released = await holdfast(["runs", "release", backup]);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stderr).toBe(`Run ${backup} released: retention may delete it again\n`);
    const twice = await holdfast(["runs", "release", backup]);
    expect(twice.code).toBe(4);
    expect(twice.stderr).toContain("(RUN_NOT_HELD)");
  });

  it("refuses what the API refuses, with its exit code; a bad reason is a usage error and nothing is sent", { timeout: 60_000 }, async () => {
    const [noReason, blank, notBackup, byOperator] = await Promise.all([
      holdfast(["runs", "hold", backup]),
      holdfast(["runs", "hold", backup, "--reason", "  "]),
      holdfast(["runs", "hold", failed, "--reason", "x"]),
      holdfast(["runs", "hold", backup, "--reason", "x"], operator),
    ]);
    expect([noReason.code, noReason.stderr]).toEqual([2, expect.stringContaining("--reason")]);
    expect([blank.code, blank.stderr]).toEqual([2, expect.stringContaining("--reason must say why the backup is held (VALIDATION_FAILED)")]);
    expect([notBackup.code, notBackup.stderr]).toEqual([4, expect.stringContaining("(RUN_NOT_HOLDABLE)")]);
    expect([byOperator.code, byOperator.stderr]).toEqual([5, expect.stringContaining("(FORBIDDEN)")]);
    // The usage errors never reached the control plane: the audit log has the two refusals only.
    const { db, t } = srv.ctx.database;
    const holds = (await db.select().from(t.auditLog)).filter((r) => r.action === "POST /runs/:runId/hold" && r.status >= 400);
    expect(holds.map((r) => r.errorCode).sort()).toEqual(["FORBIDDEN", "RUN_NOT_HOLDABLE"]);
  });
});
