import { buffer } from "node:stream/consumers";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { AGENT_ROUTES, S3DestinationConfig, SftpDestinationConfig } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { artifactObjectName } from "../deliveries/object-name.js";
import { s3Destination } from "../destinations/s3.js";
import { sftpDestination } from "../destinations/sftp.js";
import { getRunRow } from "../runs/get-run.js";
import { DIALECTS } from "../testing/databases.js";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { startSftpServer, type TestSftpServer } from "../testing/sftp-server.js";
import { openHeldArtifact } from "./locate-artifact.js";
import { exists, spooledPath } from "./spool.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let s3: TestS3Server;
let sftp: TestSftpServer;
beforeAll(async () => {
  [s3, sftp] = await Promise.all([startS3Server(), startSftpServer()]);
});
afterAll(async () => Promise.all([s3?.stop(), sftp?.stop()]));

describe.each(DIALECTS)("restore reads a delivered copy from S3 or SFTP on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  let agent: FakeAgent;
  let dsId: string;
  let s3Id: string;
  let sftpId: string;
  const started: Array<{ runId: string; downloadToken: string }> = [];
  const s3Dest = () => s3Destination(S3DestinationConfig.parse(s3.config({ prefix: `locate-${dialect}` })));
  const sftpDest = () => sftpDestination(SftpDestinationConfig.parse(sftp.config({ path: join(sftp.root, `locate-${dialect}`) })));

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    admin = await srv.token("admin");
    agent = await srv.agent();
    agent.handlers.startRestore = (f) => {
      started.push(f.payload as { runId: string; downloadToken: string });
      return { status: 202, data: { runId: (f.payload as { runId: string }).runId, state: "running" } };
    };
    dsId = await seedDatasource(srv.ctx, agent.identity.agentId);
    const create = async (json: unknown) => ((await (await srv.api("/api/v1/destinations", { method: "POST", token: admin, json })).json()) as { id: string }).id;
    s3Id = await create({ name: "bucket", type: "s3", config: s3.config({ prefix: `locate-${dialect}` }) });
    sftpId = await create({ name: "ssh", type: "sftp", config: sftp.config({ path: join(sftp.root, `locate-${dialect}`) }) });
  });
  afterAll(async () => srv?.stop());

  /** A backup delivered to S3 and SFTP, its spool copy gone. */
  async function delivered(bytes: Buffer, partSize?: number) {
    const runId = await seedBackup(srv.ctx, { agentId: agent.identity.agentId, datasourceId: dsId, destinationIds: [s3Id, sftpId], bytes, ...(partSize ? { partSize } : {}) });
    srv.deliveries.kick();
    await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(false), { timeout: 20_000 });
    const { db, t } = srv.ctx.database;
    expect((await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId))).map((d) => d.state)).toEqual(["completed", "completed"]);
    const run = await getRunRow(srv.ctx, runId);
    return { run, name: artifactObjectName(run) };
  }

  it("joins a split artifact's parts from S3 in order, whole or from any offset", { timeout: 30_000 }, async () => {
    const bytes = randomBytes(250_000);
    const { run } = await delivered(bytes, 100_000);
    const held = await openHeldArtifact(srv.ctx, run);
    expect(held).toMatchObject({ source: "destination", destinationId: s3Id, sizeBytes: 250_000 });
    expect(sha(await buffer(await held!.read(0, 249_999)))).toBe(sha(bytes));
    for (const [start, end] of [[95_000, 205_000], [100_000, 199_999], [249_999, 249_999], [0, 0]] as const) {
      const again = await openHeldArtifact(srv.ctx, run);
      expect((await buffer(await again!.read(start, end))).equals(bytes.subarray(start, end + 1))).toBe(true);
    }
  });

  it("falls back to the SFTP copy when the S3 one is incomplete, and finds none once both are", { timeout: 30_000 }, async () => {
    const bytes = randomBytes(120_000);
    const { run, name } = await delivered(bytes, 50_000);
    await s3Dest().delete(`${name}.part0002`);
    const held = await openHeldArtifact(srv.ctx, run);
    expect(held).toMatchObject({ source: "destination", destinationId: sftpId });
    expect(sha(await buffer(await held!.read(0, bytes.length - 1)))).toBe(sha(bytes));
    await sftpDest().delete(`${name}.part0003`);
    expect(await openHeldArtifact(srv.ctx, run)).toBeNull();
    const refused = await srv.api(`/api/v1/runs/${run.id}/restore`, { method: "POST", token: admin, json: { targetDatasourceId: dsId } });
    expect(refused.status).toBe(409);
  });

  it("serves a restore from the S3 copy over the artifact route, Range included", { timeout: 30_000 }, async () => {
    const bytes = randomBytes(400_000);
    const { run } = await delivered(bytes);
    const res = await srv.api(`/api/v1/runs/${run.id}/restore`, { method: "POST", token: admin, json: { targetDatasourceId: dsId } });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const token = started.find((p) => p.runId === runId)!.downloadToken;
    const get = (range?: string) => fetch(`${srv.url}${AGENT_ROUTES.artifacts}/${run.id}`, { headers: { authorization: `Bearer ${token}`, ...(range ? { range } : {}) } });
    const full = await get();
    expect(full.status).toBe(200);
    expect(sha(Buffer.from(await full.arrayBuffer()))).toBe(sha(bytes));
    const rest = await get("bytes=123457-");
    expect(rest.status).toBe(206);
    expect(Buffer.from(await rest.arrayBuffer()).equals(bytes.subarray(123_457))).toBe(true);
  });
});
