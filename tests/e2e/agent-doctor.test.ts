import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { AGENT_BIN, runCli, type Stack, startStack } from "../support/processes.js";

type Finding = { check: string; status: "ok" | "warn" | "fail" | "skip"; summary: string; fix?: string };

// The real `holdfast-agent doctor` against a real control plane and an enrolled, running agent that
// holds a PostgreSQL datasource.
describe("holdfast-agent doctor", () => {
  let stack: Stack;
  let db: ScratchDatabase;

  beforeAll(async () => {
    [stack, db] = await Promise.all([startStack({ env: { HOLDFAST_HEALTH_INTERVAL_MS: "0", HOLDFAST_DESTINATION_PROBE_INTERVAL_MS: "0" } }), createScratchDatabase("hf_doctor")]);
    const ds = await stack.client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "shop",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" },
    });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
  });

  const doctor = (...args: string[]) => runCli(AGENT_BIN, ["doctor", "--data-dir", stack.agent.dataDir, ...args]);

  it("finds a healthy host: every check passes, bar the unit where no systemd runs", async () => {
    const r = await doctor("--json");
    const report = JSON.parse(r.stdout) as { exitCode: number; findings: Finding[] };
    const byCheck = (check: string) => report.findings.filter((f) => f.check === check);
    // The checks a user asked for, each reported.
    for (const check of ["data-dir", "staging-dir", "free-space", "dump-tools", "enrollment", "dns", "tcp", "tls", "http", "clock", "unit"]) {
      expect(byCheck(check).length, `${check} in ${r.stdout}`).toBeGreaterThan(0);
    }
    expect(byCheck("dump-tools")).toEqual([{ check: "dump-tools", status: "ok", summary: expect.stringMatching(/^postgres: pg_dump \(PostgreSQL\) \d+/) }]);
    expect(byCheck("enrollment")[0]?.summary).toContain(stack.agent.agentId);
    expect(byCheck("tls")[0]).toMatchObject({ status: "ok", summary: expect.stringContaining("loopback") });
    // This machine runs no systemd (a container): the unit's check is skipped or, where systemd runs
    // but no holdfast-agent unit is installed, a warning. Everything else is fine.
    const notUnit = report.findings.filter((f) => f.check !== "unit");
    expect(notUnit.filter((f) => f.status !== "ok"), r.stdout).toEqual([]);
    const unit = byCheck("unit")[0]!;
    expect(["skip", "warn"]).toContain(unit.status);
    const expected = unit.status === "skip" ? 0 : 1;
    expect(report.exitCode).toBe(expected);
    expect(r.code).toBe(expected);
  });

  it("flags a data dir others can read with the chmod that fixes it, and exits 1", async () => {
    fs.chmodSync(stack.agent.dataDir, 0o755);
    try {
      const r = await doctor();
      expect(r.stdout).toContain(`! data-dir`);
      expect(r.stdout).toContain(`data dir ${stack.agent.dataDir} has mode 0755`);
      expect(r.stdout).toContain(`fix: chmod 0700 ${stack.agent.dataDir}`);
      expect(r.code).toBe(1);
      const json = JSON.parse((await doctor("--json")).stdout) as { exitCode: number; findings: Finding[] };
      expect(json.findings.find((f) => f.check === "data-dir")).toEqual({
        check: "data-dir",
        status: "warn",
        summary: expect.stringContaining("mode 0755"),
        fix: `chmod 0700 ${stack.agent.dataDir}`,
      });
      expect(json.exitCode).toBe(1);
    } finally {
      fs.chmodSync(stack.agent.dataDir, 0o700);
    }
  });

  it("fails when the control plane is down, naming the step, and exits 2", async () => {
    await stack.cp.process.stop();
    try {
      const r = await doctor("--json");
      const report = JSON.parse(r.stdout) as { exitCode: number; findings: Finding[] };
      expect(report.findings.find((f) => f.check === "tcp")).toMatchObject({ status: "fail", summary: expect.stringContaining("ECONNREFUSED") });
      expect(report.exitCode).toBe(2);
      expect(r.code).toBe(2);
    } finally {
      await stack.cp.restart();
    }
  });
});
