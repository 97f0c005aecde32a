import { CLOSE_CODES, VERSION_HEADERS } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connect, connectJwt, firstFrame } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe("protocol negotiation on the agent link", () => {
  let srv: TestServer;
  let viewer: string;
  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    viewer = await srv.token("viewer");
  });
  afterAll(async () => srv.stop());

  async function row(agentId: string) {
    const { db, t } = srv.ctx.database;
    const [r] = await db.select().from(t.agents).where(eq(t.agents.id, agentId));
    return r!;
  }

  async function listed(agentId: string) {
    const res = await srv.api("/api/v1/agents", { token: viewer });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<Record<string, unknown>> };
    return body.items.find((a) => a.id === agentId);
  }

  it("closes an agent announcing protocol 2 on the upgrade with 4426 and the reason, and marks it incompatible", async () => {
    const identity = await srv.enroll();
    const r = await connect(srv.url, await connectJwt(identity), undefined, {
      [VERSION_HEADERS.protocol]: "2",
      [VERSION_HEADERS.agentVersion]: "9.0.0",
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const reason = "agent speaks protocol 2, this control plane 1: upgrade the control plane";
    expect(await closed(r.ws)).toEqual({ code: CLOSE_CODES.incompatible, reason });
    // Refused before hello: no session was offered.
    expect(r.messages).toEqual([]);
    expect(await row(identity.agentId)).toMatchObject({ status: "incompatible", statusReason: reason, protocolVersion: 2, version: "9.0.0" });
    expect(await listed(identity.agentId)).toMatchObject({ status: "incompatible", statusReason: reason, protocolVersion: 2, updateAvailable: false });
  });

  it("closes an agent whose helloAck says protocol 2 (no header) the same way", async () => {
    const identity = await srv.enroll();
    const r = await connect(srv.url, await connectJwt(identity));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const hello = await firstFrame(r);
    expect(hello).toMatchObject({ type: "hello", protocolVersion: 1 });
    const done = closed(r.ws);
    // A frame of a future protocol: fields protocol 1 does not know, none it expects.
    r.ws.send(JSON.stringify({ type: "helloAck", protocolVersion: 2, agentVersion: "2.0.0", features: ["x"] }));
    expect(await done).toEqual({ code: CLOSE_CODES.incompatible, reason: "agent speaks protocol 2, this control plane 1: upgrade the control plane" });
    expect(await row(identity.agentId)).toMatchObject({ status: "incompatible", protocolVersion: 2, version: "2.0.0" });
    expect(srv.ctx.link.isOnline(identity.agentId)).toBe(false);
  });

  it("accepts an older agent of the same protocol, records its protocol and marks it for update", async () => {
    const identity = await srv.enroll();
    // First refused as incompatible, then back with a compatible protocol: the reason is cleared.
    const refused = await connect(srv.url, await connectJwt(identity), undefined, { [VERSION_HEADERS.protocol]: "0" });
    expect(refused.ok).toBe(true);
    if (!refused.ok) return;
    expect((await closed(refused.ws)).reason).toBe("agent speaks protocol 0, this control plane 1: upgrade the agent");
    expect((await row(identity.agentId)).status).toBe("incompatible");

    const r = await connect(srv.url, await connectJwt(identity), undefined, { [VERSION_HEADERS.protocol]: "1", [VERSION_HEADERS.agentVersion]: "0.0.9" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    await firstFrame(r);
    r.ws.send(JSON.stringify({ type: "helloAck", protocolVersion: 1, agentVersion: "0.0.9", hostname: "old-host", lastSequence: 0 }));
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(identity.agentId)).toBe(true));
    expect(await listed(identity.agentId)).toMatchObject({ status: "online", statusReason: null, protocolVersion: 1, version: "0.0.9", updateAvailable: true });
    r.ws.terminate();
  });
});
