import { randomBytes } from "node:crypto";
import { readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, systemClock } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exists, spooledPath } from "../artifacts/spool.js";
import type { DeliveryView } from "../deliveries/list-deliveries.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import type { StatsView } from "../stats/get-stats.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startWebhookReceiver } from "../testing/webhook-receiver.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse("2026-11-24T12:00:00Z");

describe.each(DIALECTS)("scrub on %s", (dialect) => {
  let srv: TestServer;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let agentId: string;
  let dsId: string;
  let destinationId: string;
  // The control plane's time moves only when the test moves it; its timers are real, so deliveries and sends go out.
  let now = T0;
  const clock: Clock = { now: () => new Date(now), setTimeout: systemClock.setTimeout };
  const folder = () => join(srv.dir, "backups");
  const runs = { old: "", middle: "", newest: "" };
  const files: Record<keyof typeof runs, string> = { old: "", middle: "", newest: "" };
  const original = new Map<string, Buffer>();

  const get = async <T>(path: string) => (await (await srv.api(`/api/v1${path}`, { token: admin })).json()) as T;
  const lastGood = async () => (await get<StatsView>("/stats?days=7")).lastGoodBackup.find((d) => d.datasourceId === dsId)?.runId ?? null;
  const copyOf = async (runId: string) => (await get<{ items: DeliveryView[] }>(`/runs/${runId}/deliveries`)).items[0]!;
  const damagedSends = async () => {
    const { db, t } = srv.ctx.database;
    return db.select().from(t.notificationSends).where(eq(t.notificationSends.kind, "artifact.damaged"));
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    srv = await startTestServer(dialect, {
      clock,
      scheduler: false,
      vars: { HOLDFAST_SCRUB_INTERVAL_MS: "0", HOLDFAST_SCRUB_MAX_COPIES: "2", HOLDFAST_BACKUP_MISSED_CHECK_MS: "0", HOLDFAST_NOTIFY_BACKOFF_MS: "20", HOLDFAST_DELIVERY_BACKOFF_MS: "50" },
    });
    admin = await srv.token("admin");
    // An agent row as enrollment leaves it (enrolling proves the key at the real time, not the test's).
    agentId = "agt_scrub";
    await srv.ctx.database.db.insert(srv.ctx.database.t.agents).values({ id: agentId, name: "db-host", hostname: "h", keyId: "k-scrub", publicKeyJwk: "{}", status: "offline", createdAt: 0 });
    dsId = await seedDatasource(srv.ctx, agentId);
    const dest = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: folder() } } });
    expect(dest.status).toBe(201);
    destinationId = ((await dest.json()) as { id: string }).id;
    const hook = await srv.api("/api/v1/notification-channels", {
      method: "POST",
      token: admin,
      json: { name: "ops", type: "webhook", config: { url: receiver.url, secret: "webhook-secret-0123456789" }, events: ["artifact.damaged"] },
    });
    expect(hook.status).toBe(201);
    // Three backups delivered a minute apart: the order the scrub owes them checks in.
    for (const [i, key] of (["old", "middle", "newest"] as const).entries()) {
      now = T0 + i * MIN;
      const bytes = randomBytes(20_000 + i);
      const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destinationId], bytes, createdAt: now, finishedAt: now + MIN });
      srv.deliveries.kick();
      await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(false), { timeout: 60_000 });
      expect((await copyOf(runId)).state).toBe("completed");
      const { db, t } = srv.ctx.database;
      runs[key] = runId;
      files[key] = join(folder(), artifactObjectName((await db.select().from(t.runs).where(eq(t.runs.id, runId)))[0]!));
      original.set(key, await readFile(files[key]));
    }
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
    await receiver?.stop();
  });

  it("finds a deleted and a truncated copy, a bounded pass at a time, marks and alerts each once, and stops counting them as good", async () => {
    expect(await lastGood()).toBe(runs.newest);
    // Behind Holdfast's back: the newest backup's file is deleted, the middle one's cut short.
    await rm(files.newest);
    await truncate(files.middle, 1000);

    // Nothing is owed a check before a day has passed since delivery.
    now = T0 + 23 * HOUR;
    expect((await srv.scrub.runNow()).checked).toEqual([]);

    now = T0 + 25 * HOUR;
    const first = await srv.scrub.runNow();
    // At most two copies a pass, the longest unchecked first, at size depth (the re-hash is weekly).
    expect(first.checked.map((c) => [c.runId, c.verdict, c.depth])).toEqual([
      [runs.old, "ok", "size"],
      [runs.middle, "altered", "size"],
    ]);
    expect(first.left).toBe(1);
    // The next pass continues where this one stopped.
    const second = await srv.scrub.runNow();
    expect(second.checked.map((c) => [c.runId, c.verdict])).toEqual([[runs.newest, "missing"]]);
    expect(second.left).toBe(0);
    expect((await srv.scrub.runNow()).checked).toEqual([]);

    await vi.waitFor(() => expect(receiver.hits.filter((h) => h.kind === "artifact.damaged")).toHaveLength(2), { timeout: 20_000, interval: 50 });
    expect(receiver.hits.map((h) => h.subject.runId).sort()).toEqual([runs.middle, runs.newest].sort());
    expect(receiver.hits.find((h) => h.subject.runId === runs.newest)?.title).toBe("A stored backup is missing on disk");

    // The console's deliveries say what was found and when; the dashboard's last good backup is the old one.
    expect(await copyOf(runs.middle)).toMatchObject({ damage: "altered", damagedAt: new Date(T0 + 25 * HOUR).toISOString() });
    expect(await copyOf(runs.newest)).toMatchObject({ damage: "missing" });
    expect(await copyOf(runs.old)).toMatchObject({ damage: null, damagedAt: null });
    expect(await lastGood()).toBe(runs.old);
    // Prometheus sees the findings.
    const scraped = await (await fetch(`${srv.url}/metrics`)).text();
    expect(scraped).toMatch(/^holdfast_scrub_findings_total\{verdict="missing"\} [1-9]/m);
    expect(scraped).toMatch(/^holdfast_scrub_findings_total\{verdict="altered"\} [1-9]/m);

    // A day later they are checked again and still damaged: marked as first found, not alerted again.
    now = T0 + 50 * HOUR;
    while ((await srv.scrub.runNow()).left > 0);
    expect(await damagedSends()).toHaveLength(2);
    expect(await copyOf(runs.middle)).toMatchObject({ damage: "altered", damagedAt: new Date(T0 + 25 * HOUR).toISOString() });
  });

  it("re-hashes local copies weekly: a changed byte of the same size is found then; a copy put back is unmarked", async () => {
    const flipped = Buffer.from(original.get("old")!);
    flipped[100] = flipped[100]! ^ 0xff;
    await writeFile(files.old, flipped);
    now = T0 + 80 * HOUR; // a size check is due, the re-hash is not: same size, nothing found
    while ((await srv.scrub.runNow()).left > 0);
    expect(await copyOf(runs.old)).toMatchObject({ damage: null });

    now = T0 + 170 * HOUR;
    const found: string[] = [];
    for (let r = await srv.scrub.runNow(); r.checked.length > 0; r = await srv.scrub.runNow()) found.push(...r.checked.filter((c) => c.runId === runs.old).map((c) => `${c.verdict}/${c.depth}`));
    expect(found).toEqual(["altered/full"]);
    expect(await lastGood()).toBe(null);
    await vi.waitFor(() => expect(receiver.hits.filter((h) => h.subject.runId === runs.old)).toHaveLength(1), { timeout: 20_000, interval: 50 });

    // Someone restores the file: the next check (at full depth, being marked) finds it whole and clears the mark.
    await writeFile(files.old, original.get("old")!);
    now = T0 + 200 * HOUR;
    while ((await srv.scrub.runNow()).left > 0);
    expect(await copyOf(runs.old)).toMatchObject({ damage: null, damagedAt: null });
    expect(await lastGood()).toBe(runs.old);
  });
});
