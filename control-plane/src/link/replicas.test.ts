import { CLOSE_CODES } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { revokeAgent } from "../agents/revoke-agent.js";
import { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { markOrphanedAgentsOffline, REPLICA_STALE_MS } from "./replicas.js";

// Two control-plane processes' worth of servers on one PostgreSQL database: one live session per agent
// across both, and presence that survives a replica's death.
describe("one agent session across control-plane replicas", () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    // A short command timeout: the relayed timeout case waits for it.
    first = await startTestServer("postgres", { vars: { HOLDFAST_COMMAND_TIMEOUT_MS: "1500" } });
    second = await startTestServer("sqlite", { vars: { HOLDFAST_DATABASE_URL: first.ctx.env.databaseUrl!, HOLDFAST_COMMAND_TIMEOUT_MS: "3000" } });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  const agentRow = async (agentId: string) => {
    const { db, t } = first.ctx.database;
    return (await db.select().from(t.agents).where(eq(t.agents.id, agentId)))[0]!;
  };

  it("closes the session on the first replica (4409) when the agent connects to the second, and keeps it online", async () => {
    const onFirst = await first.agent();
    const { agentId } = onFirst.identity;
    const before = await agentRow(agentId);
    const onSecond = await FakeAgent.connect(second.url, onFirst.identity);
    await vi.waitFor(() => expect(second.ctx.link.isOnline(agentId)).toBe(true));
    // The first replica learns it at its next fence check (every 2 s), not from a socket of its own.
    expect(await onFirst.waitForClose()).toBe(CLOSE_CODES.replaced);
    await vi.waitFor(() => expect(first.ctx.link.isOnline(agentId)).toBe(false));
    // The replaced session's close did not mark the agent offline: the second replica holds it.
    const after = await agentRow(agentId);
    expect(after).toMatchObject({ status: "online", linkGeneration: before.linkGeneration + 1 });
    const { db, t } = first.ctx.database;
    const replicas = (await db.select().from(t.controlPlanes)).map((r) => r.id);
    expect(replicas).toHaveLength(2);
    expect(replicas).toContain(after.linkReplica);
    onSecond.ws.terminate();
    await vi.waitFor(async () => expect((await agentRow(agentId)).status).toBe("offline"));
  });

  it("closes the agent's session (4403) on the replica that holds it when it is revoked through the other", async () => {
    const onSecond = await second.agent();
    await revokeAgent(first.ctx, onSecond.identity.agentId);
    // The first replica holds no socket of it: the second closes it at its next fence check.
    expect(await onSecond.waitForClose()).toBe(CLOSE_CODES.revoked);
    expect((await agentRow(onSecond.identity.agentId)).status).toBe("revoked");
  });

  it("relays a command asked of the replica without the socket through the one that holds it: the answer, the agent's error, a timeout", async () => {
    const onSecond = await second.agent();
    const { agentId } = onSecond.identity;
    onSecond.acceptDatasources({});
    await vi.waitFor(() => expect(first.ctx.link.isOnline(agentId)).toBe(true), { timeout: 15_000 });
    expect(first.ctx.link.holdsLink(agentId)).toBe(false);
    const answer = await first.ctx.link.sendCommand(agentId, "testDatabaseConnection", { datasourceId: "ds_relayed" });
    expect(answer).toMatchObject({ ok: true, serverVersion: "16.4" });
    const asked = onSecond.frames.filter((f) => f.type === "testDatabaseConnection");
    expect(asked).toMatchObject([{ payload: { datasourceId: "ds_relayed" } }]);
    // The agent's own refusal comes back as itself, not as a relay failure.
    await expect(first.ctx.link.sendCommand(agentId, "getRunLogs", { runId: "run_x" })).rejects.toMatchObject({ code: "FEATURE_NOT_AVAILABLE" });
    // An agent that never answers: the asker's command timeout, and no row left behind.
    onSecond.handlers.deleteDatabaseConfig = () => new Promise(() => {});
    await expect(first.ctx.link.sendCommand(agentId, "deleteDatabaseConfig", { datasourceId: "ds_relayed" })).rejects.toMatchObject({ code: "AGENT_TIMEOUT" });
    const { db, t } = first.ctx.database;
    expect(await db.select().from(t.linkCommands)).toEqual([]);
    onSecond.ws.terminate();
  });

  it("marks offline the agents a replica held once it stops refreshing its row, and only those", async () => {
    const held = await first.agent();
    const elsewhere = await second.agent();
    const { db, t } = first.ctx.database;
    const holder = (await agentRow(held.identity.agentId)).linkReplica!;
    // The replica as a killed process leaves it: its row no longer refreshed past the stale bound.
    await db.update(t.controlPlanes).set({ seenAt: Date.now() - REPLICA_STALE_MS - 1_000 }).where(eq(t.controlPlanes.id, holder));
    const orphaned = await markOrphanedAgentsOffline(second.ctx);
    expect(orphaned).toEqual([held.identity.agentId]);
    expect((await agentRow(held.identity.agentId)).status).toBe("offline");
    expect((await agentRow(elsewhere.identity.agentId)).status).toBe("online");
    held.ws.terminate();
    elsewhere.ws.terminate();
  });
});
