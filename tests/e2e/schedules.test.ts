import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, startSftpServer, type TestS3Server, type TestSftpServer } from "../support/destination-servers.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Agent, type Api, api, type ControlPlane, createAdmin, enrollAgent, startControlPlane, tempDir, waitFor, waitForAgentStatus } from "../support/processes.js";
import { settled } from "../support/proxied-rig.js";
import { sha256File } from "../support/restore.js";
import postgres from "postgres";

const ZONE = "Asia/Kolkata";
const PERIOD_MS = 10_000;

/** The hour on Kolkata's wall clock now (+05:30: half an hour away from any UTC hour). */
function kolkataHour(at = new Date()): number {
  return Number(new Intl.DateTimeFormat("en-US", { timeZone: ZONE, hour: "2-digit", hourCycle: "h23" }).format(at));
}

type RunItem = {
  runId: string;
  state: string;
  fireTime: string | null;
  queuedAt: string | null;
  startedAt: string | null;
  attempt: number;
  sha256: string | null;
  sizeBytes: number | null;
  error: unknown;
  deliveries: { destinationId: string; state: string; path: string | null }[];
};

// A schedule with a seconds field in a non-UTC zone fires on time through real processes, its runs
// are delivered to a folder, an S3-compatible server and an SFTP server, and a control-plane restart between firings neither loses nor doubles one.
describe("schedules (real control plane, agent and PostgreSQL)", () => {
  let cp: ControlPlane;
  let agent: Agent;
  let client: Api;
  let source: ScratchDatabase;
  let s3: TestS3Server;
  let sftp: TestSftpServer;

  beforeAll(async () => {
    [s3, sftp] = await Promise.all([startS3Server(), startSftpServer()]);
    source = await createScratchDatabase("hf_sched");
    const sql = postgres(source.url, { max: 1, onnotice: () => {} });
    await sql.unsafe("CREATE TABLE t (id int primary key, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g");
    await sql.end();
    cp = await startControlPlane({ env: { HOLDFAST_SCHEDULER_TICK_MS: "200" } });
    client = api(cp, await createAdmin(cp));
    agent = await enrollAgent(cp, { env: { HOLDFAST_RECONNECT_BASE_MS: "100", HOLDFAST_RECONNECT_CAP_MS: "500" } });
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
  });
  afterAll(async () => {
    await agent?.process?.stop();
    await cp?.process.stop();
    await source?.drop();
    await Promise.all([s3?.stop(), sftp?.stop()]);
  });

  async function runsOf(scheduleId: string): Promise<RunItem[]> {
    const res = await client.get(`/runs?scheduleId=${scheduleId}&limit=100`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items as RunItem[];
  }

  it("fires every 10 s in Asia/Kolkata, delivers each run to a folder, S3 and SFTP, and a restart between firings loses or doubles none", async () => {
    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "sched",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    const folder = tempDir("sched-dest");
    const dest = await client.post("/destinations", { name: "here", type: "local", config: { path: folder } });
    const bucket = await client.post("/destinations", { name: "bucket", type: "s3", config: s3.config({ prefix: "scheduled" }) });
    const ssh = await client.post("/destinations", { name: "ssh", type: "sftp", config: sftp.config() });
    expect([dest.status, bucket.status, ssh.status]).toEqual([201, 201, 201]);
    const destinationIds = [dest.body.id, bucket.body.id, ssh.body.id] as string[];

    // Only during this Kolkata hour and the next: read as UTC hours, the pattern would never fire.
    const h = kolkataHour();
    const cron = `*/10 * ${h},${(h + 1) % 24} * * *`;
    const created = await client.post("/schedules", { datasourceId: ds.body.id, cron, timezone: ZONE, destinationIds, name: "every ten seconds" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // Never fired yet: no last firing to show.
    expect(created.body.lastFiredAt).toBeNull();
    const id = created.body.id as string;
    const next = (await client.get(`/schedules/${id}/next?count=3`)).body.next as string[];
    expect(next).toHaveLength(3);
    for (const at of next) expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]0\+05:30$/);

    // The first firing: on time, completed, delivered.
    const first = await waitFor("the first scheduled run delivered", async () => {
      const runs = await runsOf(id);
      return runs.find((r) => r.state === "completed" && settled(r as never)) ?? (runs.some((r) => r.state === "failed") ? Promise.reject(new Error(JSON.stringify(runs))) : undefined);
    }, 40_000);
    expect(Date.parse(first.fireTime!)).toBe(Date.parse(next[0]!));
    // On time: the agent started it within seconds of its fire time (tick 200 ms).
    const lateMs = Date.parse(first.startedAt!) - Date.parse(first.fireTime!);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    // Generous for a loaded CI machine; a zone misread as UTC would be off by hours, not seconds.
    expect(lateMs).toBeLessThan(10_000);
    // The real agent starts a run at once and may report it before its answer: queuedAt is set anyway.
    expect(first.queuedAt).not.toBeNull();
    expect(Date.parse(first.queuedAt!)).toBeGreaterThanOrEqual(Date.parse(first.fireTime!));

    // Restart just before the next firing: either the old process fires it before it stops, or the
    // new one catches up at start-up (within the grace window); never both, never neither.
    const secondFire = Date.parse(first.fireTime!) + PERIOD_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, secondFire - 300 - Date.now())));
    await cp.restart();
    await waitForAgentStatus(client, agent.agentId, "online");

    const lastFire = Date.parse(first.fireTime!) + 2 * PERIOD_MS;
    const runs = await waitFor("two more firings settled", async () => {
      const all = await runsOf(id);
      const upTo = all.filter((r) => Date.parse(r.fireTime!) <= lastFire);
      const done = upTo.every((r) => r.state === "missed" || settled(r as never));
      return all.some((r) => Date.parse(r.fireTime!) >= lastFire) && done ? upTo : undefined;
    }, 60_000);
    await client.post(`/schedules/${id}/pause`);
    // lastFiredAt is the newest firing recorded to run (polled: a pass under way at the pause may still record one).
    await waitFor("lastFiredAt at the newest firing", async () => {
      const lastFiredAt = Date.parse((await client.get(`/schedules/${id}`)).body.lastFiredAt as string);
      return lastFiredAt === Math.max(...(await runsOf(id)).map((r) => Date.parse(r.fireTime!))) ? true : undefined;
    }, 10_000);

    const byFire = new Map<number, RunItem[]>();
    for (const r of runs) byFire.set(Date.parse(r.fireTime!), [...(byFire.get(Date.parse(r.fireTime!)) ?? []), r]);
    const expected = [0, 1, 2].map((i) => Date.parse(first.fireTime!) + i * PERIOD_MS);
    // One run per firing (no retries here: nothing failed), none missing, none doubled.
    expect([...byFire.keys()].sort()).toEqual(expected);
    for (const [fire, list] of byFire) expect(list.map((r) => [new Date(fire).toISOString(), r.attempt, r.state])).toEqual([[new Date(fire).toISOString(), 1, "completed"]]);
    for (const r of runs) {
      expect(r.deliveries.map((d) => [d.destinationId, d.state]).sort()).toEqual(destinationIds.map((d) => [d, "completed"]).sort());
      const items = (await client.get(`/runs/${r.runId}/deliveries`)).body.items as { destinationId: string; bytes: number; path: string }[];
      for (const d of items) expect(d.bytes).toBe(r.sizeBytes);
      // The SFTP server writes this machine's disk: the copy there hashes like the artifact.
      const viaSftp = items.find((d) => d.destinationId === ssh.body.id)!.path;
      expect(viaSftp).toMatch(/^sftp:\/\//);
      expect(await sha256File(decodeURIComponent(new URL(viaSftp).pathname))).toBe(r.sha256);
      const path = r.deliveries.find((d) => d.destinationId === dest.body.id)!.path!;
      expect(path.startsWith(folder)).toBe(true);
      expect(existsSync(path)).toBe(true);
      expect(await sha256File(path)).toBe(r.sha256);
    }
  });
});
