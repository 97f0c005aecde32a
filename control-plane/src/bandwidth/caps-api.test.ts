import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string; details?: { issues?: { path: string }[] } } } };

describe.each(DIALECTS)("bandwidth caps through the API on %s", (dialect) => {
  let srv: TestServer;
  let operator: string;
  let viewer: string;
  let agentId: string;

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    [operator, viewer] = [await srv.token("operator"), await srv.token("viewer")];
    agentId = (await srv.enroll()).agentId;
  });
  afterAll(async () => srv?.stop());

  const call = async (method: string, path: string, json?: unknown, token = operator): Promise<Answer> => {
    const res = await srv.api(`/api/v1${path}`, { method, token, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (await res.json()) as Answer["body"] };
  };
  const storedAgentCap = async () => {
    const { db, t } = srv.ctx.database;
    return (await db.select().from(t.agents).where(eq(t.agents.id, agentId)))[0]!.transferCapMiBps;
  };
  /** A refusal that names the field, in its message and its issue's path. */
  const expectRefusedField = (answer: Answer) => {
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("transferCapMiBps") });
    expect(answer.body.error?.details?.issues?.map((i) => i.path)).toEqual(["transferCapMiBps"]);
  };

  it("sets an agent's upload cap (fractions too), shows it, clears it with null; an operator's change, audited with the field's name", async () => {
    expect((await call("GET", `/agents/${agentId}`)).body.transferCapMiBps).toBeNull();
    const set = await call("PATCH", `/agents/${agentId}`, { transferCapMiBps: 0.5 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id: agentId, transferCapMiBps: 0.5 });
    expect((await call("GET", "/agents", undefined, viewer)).body.items).toEqual([expect.objectContaining({ id: agentId, transferCapMiBps: 0.5 })]);
    expect(await storedAgentCap()).toBe(0.5);

    const cleared = await call("PATCH", `/agents/${agentId}`, { transferCapMiBps: null });
    expect(cleared.body.transferCapMiBps).toBeNull();
    expect(await storedAgentCap()).toBeNull();

    const { db, t } = srv.ctx.database;
    const audit = (await db.select().from(t.auditLog)).filter((r) => r.action === "PATCH /agents/:id");
    expect(audit.map((r) => ({ target: JSON.parse(r.target), fields: JSON.parse(r.fields), status: r.status }))).toEqual([
      { target: { id: agentId }, fields: ["transferCapMiBps"], status: 200 },
      { target: { id: agentId }, fields: ["transferCapMiBps"], status: 200 },
    ]);
  });

  it("refuses a cap of 0, a negative one, one under the floor or not a number with a 400 naming transferCapMiBps, and stores nothing", async () => {
    await call("PATCH", `/agents/${agentId}`, { transferCapMiBps: 3 });
    for (const bad of [0, -1, 0.05, "5"]) expectRefusedField(await call("PATCH", `/agents/${agentId}`, { transferCapMiBps: bad }));
    expect(await storedAgentCap()).toBe(3);
    expect((await call("PATCH", `/agents/${agentId}`, {})).status).toBe(400);
    expect((await call("PATCH", `/agents/${agentId}`, { transferCapMiBps: 1, name: "x" })).status).toBe(400);
    expect((await call("PATCH", "/agents/agt_missing", { transferCapMiBps: 1 })).body.error?.code).toBe("AGENT_NOT_FOUND");
    expect((await call("PATCH", `/agents/${agentId}`, { transferCapMiBps: 1 }, viewer)).status).toBe(403);
    expect(await storedAgentCap()).toBe(3);
  });

  it("takes a destination's cap at create and update, clears it with null, and refuses 0 naming the field with nothing stored", async () => {
    const folder = join(srv.dir, "capped");
    await mkdir(folder);
    const before = (await call("GET", "/destinations")).body.items as unknown[];
    expectRefusedField(await call("POST", "/destinations", { name: "zero", type: "local", config: { path: folder }, transferCapMiBps: 0 }));
    expect((await call("GET", "/destinations")).body.items).toHaveLength(before.length);

    const created = await call("POST", "/destinations", { name: "capped", type: "local", config: { path: folder }, transferCapMiBps: 2.5 });
    expect(created.status).toBe(201);
    expect(created.body.transferCapMiBps).toBe(2.5);
    const id = created.body.id as string;
    expectRefusedField(await call("PATCH", `/destinations/${id}`, { transferCapMiBps: 0 }));
    expectRefusedField(await call("PATCH", `/destinations/${id}`, { transferCapMiBps: -2 }));
    expect((await call("GET", `/destinations/${id}`)).body.transferCapMiBps).toBe(2.5);
    expect((await call("PATCH", `/destinations/${id}`, { transferCapMiBps: 10 })).body.transferCapMiBps).toBe(10);
    expect((await call("PATCH", `/destinations/${id}`, { transferCapMiBps: null })).body.transferCapMiBps).toBeNull();
    expect((await call("GET", `/destinations/${id}`)).body.transferCapMiBps).toBeNull();
  });
});
