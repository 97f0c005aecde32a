import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { AGENT_BIN, type Api, api, type ControlPlane, createAdmin, ManagedProcess, runCli, startControlPlane, tempDir, waitForAgentStatus } from "../support/processes.js";

/**
 * The enroll line `POST /api/v1/enrollment-tokens` prints, run as printed (its argv and its
 * environment, no shell) against the real built control plane. Its `--data-dir` is the install
 * script's /var/lib/holdfast-agent; the test gives the agent a folder of its own instead.
 */
function asPrinted(argv: string[], dataDir: string): string[] {
  expect(argv[0]).toBe("holdfast-agent");
  return argv.slice(1).map((arg, i, all) => (all[i - 1] === "--data-dir" ? dataDir : arg));
}

describe.each(["sqlite", "postgres"] as const)("enrolling a host with the commands the API answers (control plane on %s)", (dialect) => {
  let cp: ControlPlane;
  let adminToken: string;
  let client: Api;
  let cpDb: ScratchDatabase | undefined;
  const agents: ManagedProcess[] = [];
  const revoke = async (id: string) => (await fetch(`${cp.url}/api/v1/enrollment-tokens/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${adminToken}` } })).status;

  beforeAll(async () => {
    cpDb = dialect === "postgres" ? await createScratchDatabase("hf_enr") : undefined;
    cp = await startControlPlane(cpDb ? { databaseUrl: cpDb.url } : {});
    adminToken = await createAdmin(cp);
    client = api(cp, adminToken);
  });
  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await cp?.process.stop();
    await cpDb?.drop();
  });

  it("enrolls with the printed line, token in the environment only, and the agent comes online", async () => {
    const made = await client.post("/enrollment-tokens", { name: "e2e host", ttl: "10m" });
    expect(made.status).toBe(201);
    const { argv, env } = made.body.commands.enroll as { argv: string[]; env: Record<string, string> };
    expect(argv.slice(0, 4)).toEqual(["holdfast-agent", "enroll", "--server", cp.url]);
    expect(argv.join(" ")).not.toContain(made.body.token);
    expect(env).toEqual({ HOLDFAST_ENROLL_TOKEN: made.body.token });
    expect((await client.get("/enrollment-tokens")).body.items).toMatchObject([{ id: made.body.id, name: "e2e host", createdBy: "admin@example.test" }]);

    const dataDir = tempDir("agent");
    const enrolled = await runCli(AGENT_BIN, asPrinted(argv, dataDir), { env });
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const agentId = enrolled.stdout.trim();
    expect(agentId).toMatch(/^agt_/);
    const agent = ManagedProcess.start(AGENT_BIN, ["run", "--data-dir", dataDir]);
    agents.push(agent);
    await waitForAgentStatus(client, agentId, "online");
    expect((await client.get("/enrollment-tokens")).body.items).toEqual([]);
    expect(await revoke(made.body.id)).toBe(409);
  });

  it("refuses a token revoked through the API: enroll exits 1 naming ENROLLMENT_TOKEN_INVALID and keeps no identity", async () => {
    const made = await client.post("/enrollment-tokens", {});
    expect(await revoke(made.body.id)).toBe(204);
    const dataDir = tempDir("revoked");
    const refused = await runCli(AGENT_BIN, asPrinted(made.body.commands.enroll.argv, dataDir), { env: made.body.commands.enroll.env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[ENROLLMENT_TOKEN_INVALID]");
    expect(existsSync(path.join(dataDir, "identity.json"))).toBe(false);
  });

  it("keeps `holdfast token create` working, its token pending under the name given", async () => {
    const created = await cp.cli(["token", "create", "--ttl", "5m", "--name", "from the cli"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^hf_enr_[a-z2-7]{52}\n$/);
    expect((await client.get("/enrollment-tokens")).body.items).toMatchObject([{ name: "from the cli", createdBy: null }]);
  });
});
