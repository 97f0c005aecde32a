import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, ROOT, tempDir, waitFor } from "../support/processes.js";

const QUICKSTART = path.join(ROOT, "install/quickstart.mjs");

/** `node install/quickstart.mjs` as `npm start` runs it (after its build), until it says it is ready. */
async function startQuickstart(env: Record<string, string>): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, [QUICKSTART], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await waitFor("the quick start to be ready", () => output.includes("Press Ctrl+C to stop.") || child.exitCode !== null, 90_000);
  if (child.exitCode !== null) throw new Error(`quickstart.mjs exited ${child.exitCode}:\n${output}`);
  return { child, output };
}

/** Ctrl+C: the quick start stops its control plane and agent and exits 0. */
async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGINT");
  return exited;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe("npm start on a fresh data dir: the first-run demo", () => {
  const dataDir = tempDir("quickstart");
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await stop(c);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("sets up the demo once, and its Run now delivers a file into the demo folder", async () => {
    const port = await freePort();
    const env = { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_PORT: String(port), HOLDFAST_HEARTBEAT_MS: "5000" };
    const first = await startQuickstart(env);
    children.push(first.child);
    const url = `http://127.0.0.1:${port}`;
    expect(first.output).toContain(`open ${url}`);
    const password = first.output.match(/password: (\S+)/)?.[1];
    const token = first.output.match(/token: +(hf_api_\S+)/)?.[1];
    expect(password).toBeTruthy();
    expect(token).toBeTruthy();
    expect(first.output).toContain("A demo is set up");

    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${url}/api/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json() };
    };

    // The printed password signs in.
    const session = await fetch(`${url}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "admin@localhost", password }) });
    expect(session.status).toBe(201);

    const datasources = (await call("GET", "/datasources")).body.items;
    expect(datasources).toHaveLength(1);
    expect(datasources[0]).toMatchObject({ engine: "sqlite", tags: ["demo"] });
    const destinations = (await call("GET", "/destinations")).body.items;
    expect(destinations).toHaveLength(1);
    expect(destinations[0]).toMatchObject({ type: "local" });
    const backupsDir = path.join(dataDir, "demo", "backups");
    expect((await call("GET", `/destinations/${destinations[0].id}`)).body.config.path).toBe(backupsDir);
    const schedules = (await call("GET", "/schedules")).body.items;
    expect(schedules).toHaveLength(1);
    expect(schedules[0]).toMatchObject({ datasourceId: datasources[0].id, destinationIds: [destinations[0].id], cron: "0 3 * * *", paused: true });

    // "Run now", as the console's button calls it.
    const started = await call("POST", `/datasources/${datasources[0].id}/backups`, { destinationIds: [destinations[0].id] });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    const run = await waitFor("the demo backup to be delivered", async () => {
      const r = (await call("GET", `/runs/${runId}`)).body;
      if (r.state === "failed") throw new Error(`the demo backup failed: ${JSON.stringify(r.error)}`);
      return r.state === "completed" && r.deliveries?.every((d: { state: string }) => d.state === "completed") ? r : undefined;
    }, 60_000);
    const delivered = (await filesUnder(backupsDir)).filter((f) => f.includes(runId) && !f.endsWith(".json"));
    expect(delivered).toHaveLength(1);
    expect(createHash("sha256").update(await readFile(delivered[0]!)).digest("hex")).toBe(run.sha256);

    // A second start on the same data dir: no new password, no second demo.
    expect(await stop(first.child)).toBe(0);
    const second = await startQuickstart(env);
    children.push(second.child);
    expect(second.output).not.toContain("password:");
    expect(second.output).not.toContain("A demo is set up");
    expect((await call("GET", "/datasources")).body.items).toHaveLength(1);
    expect((await call("GET", "/schedules")).body.items).toHaveLength(1);
    expect(await stop(second.child)).toBe(0);
  });
});
