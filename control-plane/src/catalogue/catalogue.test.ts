import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CatalogueImportAnswer, DeleteOrphansAnswer, OrphansAnswer, ValidateRunAnswer } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exists, spooledPath } from "../artifacts/spool.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Every file under a folder, as names relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

describe("the catalogue rebuilt from a destination's sidecars, and its orphans (local destinations, SQLite)", () => {
  let first: TestServer;
  let admin: string;
  let agentId: string;
  let dsId: string;
  let destId: string;
  let folder: string;
  const backups: { runId: string; bytes: Buffer; name: string }[] = [];

  async function deliver(bytes: Buffer, partSize?: number) {
    const runId = await seedBackup(first.ctx, { agentId, datasourceId: dsId, destinationIds: [destId], bytes, ...(partSize ? { partSize } : {}) });
    first.deliveries.kick();
    await vi.waitFor(async () => expect(await exists(spooledPath(first.ctx.env.spoolDir, runId))).toBe(false), { timeout: 90_000 });
    const { db, t } = first.ctx.database;
    return { runId, bytes, name: artifactObjectName((await db.select().from(t.runs).where(eq(t.runs.id, runId)))[0]!) };
  }

  beforeAll(async () => {
    first = await startTestServer("sqlite");
    admin = await first.token("admin");
    agentId = (await first.enroll()).agentId;
    dsId = await seedDatasource(first.ctx, agentId);
    folder = join(first.dir, "backups");
    const res = await first.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: folder } } });
    destId = ((await res.json()) as { id: string }).id;
    backups.push(await deliver(randomBytes(40_000)), await deliver(randomBytes(90_000), 40_000));
  }, 180_000);
  afterAll(async () => first?.stop());

  describe("import into an empty control plane", () => {
    let second: TestServer;
    let token: string;
    let secondDest: string;
    beforeAll(async () => {
      second = await startTestServer("sqlite");
      token = await second.token("admin");
      const res = await second.api("/api/v1/destinations", { method: "POST", token, json: { name: "found disk", type: "local", config: { path: folder } } });
      secondDest = ((await res.json()) as { id: string }).id;
    });
    afterAll(async () => second?.stop());
    const importNow = async (dryRun: boolean) =>
      (await (await second.api(`/api/v1/destinations/${secondDest}/catalogue/import`, { method: "POST", token, json: { dryRun } })).json()) as CatalogueImportAnswer;
    const runs = async () => ((await (await second.api("/api/v1/runs", { token })).json()) as { items: { runId: string; sizeBytes: number | null; sha256: string | null }[] }).items;

    it("reports without writing in a dry run, then records the same runs with their sizes and hashes, and a second import records nothing", { timeout: 180_000 }, async () => {
      const dry = await importNow(true);
      expect(dry).toMatchObject({ dryRun: true, found: 2, imported: 2 });
      expect(await runs()).toEqual([]);

      const done = await importNow(false);
      expect(done.entries.map((e) => [e.runId, e.outcome, e.sizeBytes, e.datasourceId, e.engine]).sort()).toEqual(
        backups.map((b) => [b.runId, "imported", b.bytes.length, dsId, "postgres"]).sort(),
      );
      const listed = await runs();
      expect(listed.map((r) => [r.runId, r.sizeBytes, r.sha256]).sort()).toEqual(backups.map((b) => [b.runId, b.bytes.length, sha(b.bytes)]).sort());

      // Imported runs are whole backups to the other routes: validated (parts and all), downloaded.
      const split = backups[1]!;
      const check = (await (await second.api(`/api/v1/runs/${split.runId}/validate`, { method: "POST", token, json: { depth: "full" } })).json()) as ValidateRunAnswer;
      expect(check).toMatchObject({ ok: true, copies: [{ destinationId: secondDest, verdict: "ok" }] });
      const download = await second.api(`/api/v1/runs/${split.runId}/artifact`, { token });
      expect(download.status).toBe(200);
      expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(sha(split.bytes));

      const again = await importNow(false);
      expect(again.imported).toBe(0);
      expect(again.entries.map((e) => e.outcome)).toEqual(["known", "known"]);
    });

    it("reports a backup whose part is missing invalid, saying which", { timeout: 180_000 }, async () => {
      const broken = await deliver(randomBytes(50_000), 20_000);
      await rm(join(folder, `${broken.name}.part0002`));
      const answer = await importNow(true);
      const entry = answer.entries.find((e) => e.runId === broken.runId)!;
      expect(entry.outcome).toBe("invalid");
      expect(entry.reason).toContain("part0002");
    });
  });

  it("lists a backup no delivery holds as an orphan, never a file without a sidecar nor a live delivery, and deletes exactly it", { timeout: 180_000 }, async () => {
    const orphan = await deliver(randomBytes(30_000), 12_000);
    const live = await deliver(randomBytes(10_000));
    // The catalogue forgot the orphan's copy (retention marked it deleted, then the delete failed).
    const { db, t } = first.ctx.database;
    await db.update(t.deliveries).set({ deletedAt: Date.now(), deletionReason: "test" }).where(eq(t.deliveries.runId, orphan.runId));
    const stray = `${dsId}/2026/01/20260101T000000Z_run_stray.sql.gz`;
    await mkdir(dirname(join(folder, stray)), { recursive: true });
    await writeFile(join(folder, stray), "no sidecar beside me");
    await writeFile(join(folder, "notes.json"), JSON.stringify({ runId: orphan.runId }));

    const listed = (await (await first.api(`/api/v1/destinations/${destId}/orphans`, { token: admin })).json()) as OrphansAnswer;
    const names = listed.items.map((o) => o.objectName);
    expect(names).toContain(orphan.name);
    expect(names).not.toContain(live.name);
    expect(names).not.toContain(stray);
    const item = listed.items.find((o) => o.objectName === orphan.name)!;
    expect(item.objects).toEqual([`${orphan.name}.part0001`, `${orphan.name}.part0002`, `${orphan.name}.part0003`, `${orphan.name}.json`]);

    const before = await filesUnder(folder);
    const res = await first.api(`/api/v1/destinations/${destId}/orphans/delete`, { method: "POST", token: admin, json: { objectNames: [orphan.name, live.name, stray] } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as DeleteOrphansAnswer;
    expect(answer.deleted.map((d) => d.objectName)).toEqual([orphan.name]);
    expect(answer.skipped.map((s) => s.objectName).sort()).toEqual([live.name, stray].sort());
    expect(await filesUnder(folder)).toEqual(before.filter((f) => !item.objects.includes(f)));
    expect(await readFile(join(folder, stray), "utf8")).toBe("no sidecar beside me");

    const operator = await first.token("operator");
    expect((await first.api(`/api/v1/destinations/${destId}/orphans`, { token: operator })).status).toBe(403);
  });
});
