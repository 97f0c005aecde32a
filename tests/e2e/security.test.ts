import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "@holdfast/shared";
import { openDatabase } from "../../control-plane/src/db/index.js";
import { createEnrollmentToken } from "../../control-plane/src/enrollment/create-token.js";
import { loadEnv } from "../../control-plane/src/env.js";
import { connectWithJwt } from "../support/ws-connect.js";
import { readIdentity, signAgentJwt } from "../support/agent-jwt.js";
import { AGENT_BIN, type Api, api, type ControlPlane, createAdmin, enrollAgent, runCli, startControlPlane, tempDir, waitFor, waitForAgentStatus } from "../support/processes.js";

/** A token the control plane issued an hour ago for 15 minutes, in its database: expired without waiting for it. */
async function expiredEnrollmentToken(cp: ControlPlane): Promise<string> {
  const database = await openDatabase(loadEnv({}, cp.env));
  const anHourAgo = { ...systemClock, now: () => new Date(Date.now() - 3_600_000) };
  try {
    return (await createEnrollmentToken({ database, clock: anHourAgo }, { ttlMs: 15 * 60_000 })).token;
  } finally {
    await database.close();
  }
}

describe("enrollment and agent credentials", () => {
  let cp: ControlPlane;
  let client: Api;
  let adminToken: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    adminToken = await createAdmin(cp);
    client = api(cp, adminToken);
  });
  afterAll(async () => {
    await cp?.process.stop();
  });

  it("refuses an enrollment token that was already used, with a clear message", async () => {
    const token = (await cp.cli(["token", "create"])).stdout.trim();
    expect(token).toMatch(/^hf_enr_/);
    const first = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--data-dir", tempDir("a1"), "--token", token]);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toMatch(/^agt_/);

    const second = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--data-dir", tempDir("a2"), "--token", token]);
    expect(second.code).not.toBe(0);
    expect(second.stdout).toBe("");
    expect(second.stderr).toMatch(/token/i);
    expect(second.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("refuses an expired enrollment token", async () => {
    const token = await expiredEnrollmentToken(cp);
    const tokenFile = path.join(tempDir("tok"), "token");
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const res = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--data-dir", tempDir("a3"), "--token-file", tokenFile]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/token/i);
  });

  it("refuses an unknown enrollment token given through the environment, and leaves the data dir as it was", async () => {
    const token = { HOLDFAST_ENROLL_TOKEN: "hf_enr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
    // A data dir that exists (with the key an interrupted enrollment left) keeps exactly its files and mode.
    const existing = tempDir("a4");
    chmodSync(existing, 0o750);
    writeFileSync(path.join(existing, "agent.key"), "left by an interrupted enrollment\n", { mode: 0o600 });
    const before = { names: readdirSync(existing), mode: statSync(existing).mode, key: readFileSync(path.join(existing, "agent.key"), "utf8") };
    const res = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--data-dir", existing], { env: token });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/ENROLLMENT_TOKEN_INVALID/);
    expect({ names: readdirSync(existing), mode: statSync(existing).mode, key: readFileSync(path.join(existing, "agent.key"), "utf8") }).toEqual(before);

    // A data dir enroll had to create is gone again.
    const parent = tempDir("a5");
    const fresh = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--data-dir", path.join(parent, "agent")], { env: token });
    expect(fresh.code).not.toBe(0);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("accepts a signed connection JWT once and refuses its replay before any socket opens", async () => {
    const agent = await enrollAgent(cp);
    const jwt = await signAgentJwt(agent.dataDir);
    const first = await connectWithJwt(cp.url, jwt);
    expect(first.opened).toBe(true);
    if (first.opened) {
      expect(JSON.parse(await first.firstFrame)).toMatchObject({ type: "hello" });
      first.socket.close();
    }
    const replay = await connectWithJwt(cp.url, jwt);
    expect(replay).toEqual({ opened: false, status: 401 });
  });

  it("refuses a JWT that names one agent but is signed with another agent's key", async () => {
    const victim = await enrollAgent(cp);
    const attacker = await enrollAgent(cp);
    const forged = await signAgentJwt(attacker.dataDir, { as: readIdentity(victim.dataDir) });
    expect(await connectWithJwt(cp.url, forged)).toEqual({ opened: false, status: 401 });
  });

  it("closes a revoked agent's live link, shows it revoked, and refuses it afterwards", async () => {
    const agent = await enrollAgent(cp);
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");

    const revoked = await client.post(`/agents/${agent.agentId}/revoke`);
    expect(revoked.status).toBe(200);
    await waitFor("the revoked agent to exit", () => !agent.process!.running);
    expect(agent.process!.child.exitCode).not.toBe(0);

    const listed = (await client.get("/agents")).body;
    expect(listed.items.find((a: { id: string }) => a.id === agent.agentId)?.status).toBe("revoked");
    expect(await connectWithJwt(cp.url, await signAgentJwt(agent.dataDir))).toEqual({ opened: false, status: 403 });
  });

  it("refuses the API without a valid bearer token and never shows a stack", async () => {
    const none = await fetch(`${cp.url}/api/v1/agents`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", retryable: false } });
    const bad = await api(cp, "hf_api_not-a-real-token").get("/agents");
    expect(bad.status).toBe(401);
    const malformed = await fetch(`${cp.url}/api/v1/destinations`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    const body = await malformed.json();
    expect(body).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(js|ts):\d+/);
  });

  it("refuses a local destination on /proc at once, and the server spins no core afterwards", async () => {
    const refused = await client.post("/destinations", { name: "proc", type: "local", config: { path: "/proc/backups" } });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: "DESTINATION_REFUSED", details: { fsType: "proc" } });

    // The server's CPU time (utime + stime, in clock ticks of 10 ms) over a second after the answer:
    // Node's recursive mkdir under /proc used to keep a core busy for ever.
    const cpuTicks = () => {
      const stat = readFileSync(`/proc/${cp.process.child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = cpuTicks();
    await new Promise((r) => setTimeout(r, 1000));
    expect(cpuTicks() - before).toBeLessThan(50);

    const fine = await client.post("/destinations", { name: "here", type: "local", config: { path: path.join(tempDir("dst"), "backups") } });
    expect(fine.status).toBe(201);
  });
});
