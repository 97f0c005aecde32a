import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";

describe("GET /agents/:id (holdfast agents show)", () => {
  let srv: TestServer;
  let viewer: string;
  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    viewer = await srv.token("viewer");
  });
  afterAll(async () => srv?.stop());

  it("answers one agent as the list shows it, and AGENT_NOT_FOUND for an unknown id", async () => {
    const { agentId } = await srv.enroll();
    const list = (await (await srv.api("/api/v1/agents", { token: viewer })).json()) as { items: { id: string }[] };
    const one = await srv.api(`/api/v1/agents/${agentId}`, { token: viewer });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(list.items.find((a) => a.id === agentId));
    const missing = await srv.api("/api/v1/agents/agt_missing", { token: viewer });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("AGENT_NOT_FOUND");
  });
});
