import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, PG_ADMIN_URL, type ScratchDatabase } from "../support/postgres.js";
import { type Stack, startStack, waitFor } from "../support/processes.js";

/** A webhook receiver: every posted message's body, in order. */
async function startReceiver(): Promise<{ url: string; bodies: Record<string, any>[]; stop(): Promise<void> }> {
  const bodies: Record<string, any>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

// The real agent checks a real PostgreSQL database every 300 ms: healthy with its latency, version
// and size; dropped, three failed checks alert once at a webhook; created again, it recovers.
describe("datasource health checks through the real agent", () => {
  let stack: Stack;
  let db: ScratchDatabase;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dsId: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    [stack, db] = await Promise.all([
      startStack({ env: { HOLDFAST_HEALTH_INTERVAL_MS: "300", HOLDFAST_DESTINATION_PROBE_INTERVAL_MS: "0", HOLDFAST_NOTIFY_BACKOFF_MS: "50" } }),
      createScratchDatabase("hf_health"),
    ]);
    const channel = await stack.client.post("/notification-channels", {
      name: "hook",
      type: "webhook",
      events: ["datasource.unhealthy", "datasource.recovered"],
      config: { url: receiver.url, secret: "webhook-secret-0123456789" },
    });
    expect(channel.status, JSON.stringify(channel.body)).toBe(201);
    const ds = await stack.client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "shop",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" },
    });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    dsId = ds.body.id;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await receiver?.stop();
  });

  const health = async () => (await stack.client.get(`/datasources/${dsId}/health`)).body;

  it("returns the history of a healthy PostgreSQL datasource with latency, version and size", async () => {
    const h = await waitFor("a recorded check", async () => ((await health()).checks?.length > 0 ? health() : undefined));
    expect(h.status).toBe("healthy");
    expect(h.checks[0]).toMatchObject({ result: "ok", error: null });
    expect(h.checks[0].latencyMs).toBeGreaterThan(0);
    expect(h.checks[0].serverVersion).toMatch(/\d+/);
    expect(h.checks[0].sizeBytes).toBeGreaterThan(0);
  });

  it("alerts once when its database is dropped and recovers when it is back", async () => {
    await db.drop();
    const alert = await waitFor("the unhealthy alert", () => receiver.bodies.find((b) => b.kind === "datasource.unhealthy"));
    expect(alert).toMatchObject({ subject: { datasourceId: dsId } });
    const failing = await waitFor("four failures in a row", async () => {
      const h = await health();
      return h.consecutiveFailures >= 4 ? h : undefined;
    });
    expect(failing.status).toBe("critical");
    expect(failing.lastCheck.error.code).toBe("DATABASE_NOT_FOUND");
    expect(receiver.bodies.filter((b) => b.kind === "datasource.unhealthy")).toHaveLength(1);

    const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE "${db.name}"`).finally(() => admin.end());
    await waitFor("the recovery", () => receiver.bodies.find((b) => b.kind === "datasource.recovered"));
    expect((await health()).status).toBe("healthy");
  });
});
