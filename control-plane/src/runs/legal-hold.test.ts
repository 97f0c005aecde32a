import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { newId } from "@holdfast/shared";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deleteDelivered } from "../deliveries/delete-delivered.js";
import { artifactObjectName, objectsOf } from "../deliveries/object-name.js";
import { executeRetention } from "../retention/execute-retention.js";
import type { RetentionPreview } from "../retention/preview-retention.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import type { ArtifactMeta, RunView } from "./get-run.js";

const DAY = 86_400_000;
type ErrorAnswer = { error: { code: string; message: string; details?: { field?: string; issues?: { path: string }[] } } };

describe.each(DIALECTS)("legal hold on %s", (dialect) => {
  let srv: TestServer;
  const tokens = { admin: "", operator: "", viewer: "" };
  let dsId: string;
  let destinationId: string;
  const scheduleId = newId("sch");
  const runs: Record<string, string> = {};

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    for (const role of ["admin", "operator", "viewer"] as const) tokens[role] = await srv.token(role);
    const agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
    const created = await srv.api("/api/v1/destinations", { method: "POST", token: tokens.admin, json: { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } } });
    destinationId = ((await created.json()) as { id: string }).id;
    const now = Date.now();
    const { db, t } = srv.ctx.database;
    // keepLast 1: every scheduled backup but the newest is due at each pass.
    await db.insert(t.schedules).values({
      id: scheduleId, datasourceId: dsId, name: "nightly", cron: "0 3 * * *", timezone: "UTC",
      destinationIds: JSON.stringify([destinationId]), retention: JSON.stringify({ keepLast: 1 }),
      fireCursor: now, createdAt: now, updatedAt: now,
    });
    const seed = async (key: string, daysAgo: number, extra: Record<string, unknown> = {}) => {
      runs[key] = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destinationId], bytes: randomBytes(2_000), createdAt: now - daysAgo * DAY, trigger: "schedule", scheduleId, ...extra });
    };
    await seed("held", 5);
    await seed("neighbour", 4);
    await seed("gone", 3);
    await seed("failed", 2.5, { state: "failed" });
    await seed("newest", 1);
    srv.deliveries.kick();
    await vi.waitFor(
      async () => {
        const rows = await db.select().from(t.deliveries).where(inArray(t.deliveries.runId, Object.values(runs)));
        expect(rows.filter((r) => r.state === "pending" || r.state === "running")).toEqual([]);
      },
      { timeout: 30_000 },
    );
  });
  afterAll(async () => srv?.stop());

  const call = async (method: string, path: string, token: string, json?: unknown) => {
    const res = await srv.api(`/api/v1${path}`, { method, token, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const filesOf = async (key: string) => {
    const { db, t } = srv.ctx.database;
    const run = (await db.select().from(t.runs).where(eq(t.runs.id, runs[key]!)))[0]!;
    const name = artifactObjectName(run);
    return objectsOf(name, (JSON.parse(run.artifactMeta ?? "{}") as ArtifactMeta).parts).map((n) => join(srv.dir, "backups", n));
  };
  const holdColumns = async (id: string) => {
    const { db, t } = srv.ctx.database;
    return (await db.select({ heldAt: t.runs.heldAt, heldBy: t.runs.heldBy, holdReason: t.runs.holdReason }).from(t.runs).where(eq(t.runs.id, id)))[0];
  };

  it("holds a completed backup (admin): the run's detail and the list show who, when and why", async () => {
    const before = Date.now();
    const held = await call("POST", `/runs/${runs.held}/hold`, tokens.admin, { reason: "  case 2026-17: keep for counsel " });
    expect(held.status).toBe(200);
    const view = held.body as RunView;
    expect(view.hold).toMatchObject({ heldBy: "admin@test.local", reason: "case 2026-17: keep for counsel" });
    expect(Date.parse(view.hold!.heldAt)).toBeGreaterThanOrEqual(before - 1000);

    const shown = (await call("GET", `/runs/${runs.held}`, tokens.viewer)).body as RunView;
    expect(shown.hold).toEqual(view.hold);
    const list = (await call("GET", `/runs?datasourceId=${dsId}`, tokens.viewer)).body as { items: RunView[] };
    expect(list.items.find((r) => r.runId === runs.held)?.hold).toEqual(view.hold);
    expect(list.items.find((r) => r.runId === runs.neighbour)?.hold).toBeNull();
  });

  it("refuses to delete a held backup by hand, even forced, and at the last moment before the objects go", async () => {
    const files = await filesOf("held");
    const refused = await call("DELETE", `/runs/${runs.held}/artifact?force=true`, tokens.admin);
    expect(refused.status).toBe(409);
    expect((refused.body as ErrorAnswer).error.code).toBe("BACKUP_HELD");
    // What a retention pass that planned before the hold would reach: the one function every deletion goes through.
    const { db, t } = srv.ctx.database;
    const delivery = (await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runs.held!)))[0]!;
    const run = (await db.select().from(t.runs).where(eq(t.runs.id, runs.held!)))[0]!;
    const late = await deleteDelivered(srv.ctx, { deliveryId: delivery.id, destinationId, objectName: artifactObjectName(run), parts: undefined }, "retention: test").catch((e: unknown) => e);
    expect(late).toMatchObject({ code: "BACKUP_HELD" });
    expect(files.every((f) => existsSync(f))).toBe(true);
    expect((await db.select().from(t.deliveries).where(eq(t.deliveries.id, delivery.id)))[0]?.deletedAt).toBeNull();
  });

  it("keeps a held backup through a retention pass that deletes its neighbours; released, the next pass deletes it", async () => {
    const preview = (await call("GET", `/schedules/${scheduleId}/retention/preview`, tokens.viewer)).body as RetentionPreview;
    const items = Object.fromEntries(preview.destinations[0]!.items.map((i) => [i.runId, i]));
    expect(items[runs.held!]).toMatchObject({ keep: true, reasons: ["held: case 2026-17: keep for counsel"] });
    expect(items[runs.neighbour!]).toMatchObject({ keep: false });

    const heldFiles = await filesOf("held");
    const neighbourFiles = await filesOf("neighbour");
    const first = await executeRetention(srv.ctx);
    expect(first.skipped).toEqual([]);
    expect(new Set(first.deleted.map((d) => d.runId))).toEqual(new Set([runs.neighbour, runs.gone]));
    expect(heldFiles.every((f) => existsSync(f))).toBe(true);
    expect(neighbourFiles.some((f) => existsSync(f))).toBe(false);
    // A second pass leaves it too: the hold is not a one-off.
    expect(await executeRetention(srv.ctx)).toEqual({ deleted: [], skipped: [], kept: [] });

    const released = await call("DELETE", `/runs/${runs.held}/hold`, tokens.admin);
    expect(released.status).toBe(200);
    expect((released.body as RunView).hold).toBeNull();
    expect(await holdColumns(runs.held!)).toEqual({ heldAt: null, heldBy: null, holdReason: null });

    const after = await executeRetention(srv.ctx);
    expect(new Set(after.deleted.map((d) => d.runId))).toEqual(new Set([runs.held]));
    expect(heldFiles.some((f) => existsSync(f))).toBe(false);
  });

  it("refuses operators and viewers, storing nothing", async () => {
    for (const role of ["operator", "viewer"] as const) {
      const hold = await call("POST", `/runs/${runs.newest}/hold`, tokens[role], { reason: "mine" });
      expect(hold.status).toBe(403);
      expect((hold.body as ErrorAnswer).error.code).toBe("FORBIDDEN");
    }
    expect(await holdColumns(runs.newest!)).toEqual({ heldAt: null, heldBy: null, holdReason: null });
    // Held by an admin, a lesser role cannot lift it either.
    expect((await call("POST", `/runs/${runs.newest}/hold`, tokens.admin, { reason: "audit" })).status).toBe(200);
    for (const role of ["operator", "viewer"] as const) expect((await call("DELETE", `/runs/${runs.newest}/hold`, tokens[role])).status).toBe(403);
    expect((await holdColumns(runs.newest!))?.holdReason).toBe("audit");
    // Holding again replaces the reason, with no moment unheld.
    expect(((await call("POST", `/runs/${runs.newest}/hold`, tokens.admin, { reason: "audit and case 18" })).body as RunView).hold?.reason).toBe("audit and case 18");
  });

  it("answers bad input with a 4xx naming the field, and stores nothing", async () => {
    const { db, t } = srv.ctx.database;
    const restore = newId("run");
    await db.insert(t.runs).values({ id: restore, kind: "restore", trigger: "manual", agentId: "agt_x", datasourceId: dsId, state: "completed", idempotencyKey: newId("idem"), sourceRunId: runs.newest!, createdAt: Date.now() });
    const cases: [string, unknown, number, string, string][] = [
      [runs.failed!, { reason: "x" }, 409, "RUN_NOT_HOLDABLE", "state"],
      [restore, { reason: "x" }, 409, "RUN_NOT_HOLDABLE", "kind"],
      // Its only copy went in the pass above.
      [runs.gone!, { reason: "x" }, 409, "RUN_NOT_HOLDABLE", "copies"],
      [runs.neighbour!, {}, 400, "VALIDATION_FAILED", "reason"],
      [runs.neighbour!, { reason: "   " }, 400, "VALIDATION_FAILED", "reason"],
      [runs.neighbour!, { reason: "two\nlines" }, 400, "VALIDATION_FAILED", "reason"],
      [runs.neighbour!, { reason: "x".repeat(501) }, 400, "VALIDATION_FAILED", "reason"],
      [runs.neighbour!, { reason: 17 }, 400, "VALIDATION_FAILED", "reason"],
    ];
    for (const [runId, body, status, code, field] of cases) {
      const res = await call("POST", `/runs/${runId}/hold`, tokens.admin, body);
      expect([runId, res.status], JSON.stringify(res.body)).toEqual([runId, status]);
      const error = (res.body as ErrorAnswer).error;
      expect(error.code).toBe(code);
      expect(error.details?.field ?? error.details?.issues?.[0]?.path).toBe(field);
    }
    const extra = await call("POST", `/runs/${runs.failed}/hold`, tokens.admin, { reason: "x", until: "2030-01-01" });
    expect(extra.status).toBe(400);
    expect((await call("POST", "/runs/run_nope/hold", tokens.admin, { reason: "x" })).body).toMatchObject({ error: { code: "RUN_NOT_FOUND" } });
    const notHeld = await call("DELETE", `/runs/${runs.failed}/hold`, tokens.admin);
    expect([notHeld.status, (notHeld.body as ErrorAnswer).error.code]).toEqual([409, "RUN_NOT_HELD"]);
    expect((await call("DELETE", "/runs/run_nope/hold", tokens.admin)).status).toBe(404);
    for (const id of [runs.failed!, restore, runs.gone!, runs.neighbour!]) expect(await holdColumns(id)).toEqual({ heldAt: null, heldBy: null, holdReason: null });
  });

  it("puts every hold and release, and each refusal, in the audit log (field names, never the reason)", async () => {
    const { db, t } = srv.ctx.database;
    const rows = (await db.select().from(t.auditLog)).filter((r) => r.action.endsWith("/runs/:runId/hold"));
    const of = (action: string, runKey: string, status: number) =>
      rows.filter((r) => r.action === action && JSON.parse(r.target).runId === runs[runKey] && r.status === status);
    const held = of("POST /runs/:runId/hold", "held", 200);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ actorEmail: "admin@test.local", fields: JSON.stringify(["reason"]), errorCode: null });
    expect(of("DELETE /runs/:runId/hold", "held", 200)).toHaveLength(1);
    expect(of("POST /runs/:runId/hold", "newest", 403).map((r) => [r.actorEmail, r.errorCode])).toEqual([
      ["operator@test.local", "FORBIDDEN"],
      ["viewer@test.local", "FORBIDDEN"],
    ]);
    expect(of("DELETE /runs/:runId/hold", "newest", 403)).toHaveLength(2);
    expect(of("POST /runs/:runId/hold", "failed", 409)[0]?.errorCode).toBe("RUN_NOT_HOLDABLE");
    expect(rows.some((r) => JSON.stringify(r).includes("counsel"))).toBe(false);
  });
});
