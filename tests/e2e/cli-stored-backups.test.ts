import { spawn } from "node:child_process";
import { copyFile, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import {
  api,
  type Api,
  type ControlPlane,
  createAdmin,
  enrollAgent,
  HOLDFAST_BIN,
  runCli,
  type Stack,
  startControlPlane,
  startStack,
  tempDir,
  waitForAgentStatus,
  waitForRun,
} from "../support/processes.js";
import { sha256File } from "../support/restore.js";
import { loadAwkwardData } from "../support/sample-data.js";

/** Every file under a folder, as paths relative to it, sorted. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

// `holdfast runs validate|copy`, `cleanup` and `catalogue import` run as an operator runs them,
// against a real control plane, agent and PostgreSQL, with two local folders as destinations A and B;
// then a second, empty control plane learns A's backups from their sidecars and restores one.
describe("holdfast's stored-backup commands", () => {
  let stack: Stack;
  let cp2: ControlPlane | undefined;
  let cp2Agent: Awaited<ReturnType<typeof enrollAgent>> | undefined;
  let source: ScratchDatabase;
  const dbs: ScratchDatabase[] = [];
  let env: Record<string, string>;
  const cli = (args: string[], environment = env) => runCli(HOLDFAST_BIN, args, { env: environment });
  /** `holdfast <args>` on a pseudo-terminal (Python's pty module), `input` typed into it; stdout and stderr come back as one. */
  const onTerminal = (args: string[], input: string) =>
    new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn("python3", ["-c", "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)", process.execPath, HOLDFAST_BIN, ...args], { env: { ...process.env, ...env } });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, output }));
      child.stdin.end(input);
    });
  const folderA = tempDir("cli-stored-a");
  const folderB = tempDir("cli-stored-b");
  let destA: { id: string; name: string };
  let destB: { id: string; name: string };
  let run: { runId: string; sha256: string; datasourceId: string };
  /** The artifact's object name at A (and, once copied, at B). */
  let objectName: string;
  /** The second control plane's admin client and CLI environment, once the import test made it. */
  let client2: Api;
  let env2: Record<string, string>;

  beforeAll(async () => {
    [stack, source] = await Promise.all([startStack(), createScratchDatabase("hf_clistore_src")]);
    dbs.push(source);
    await loadAwkwardData(source.url);
    const token = await stack.cp.cli(["api-token", "create", "--email", "admin@example.test", "--name", "stored-backups e2e"]);
    expect(token.code).toBe(0);
    env = { HOLDFAST_SERVER: stack.cp.url, HOLDFAST_TOKEN: token.stdout.trim(), NO_COLOR: "1" };

    const { client, agent } = stack;
    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "awkward",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    expect(ds.status).toBe(201);
    const a = await client.post("/destinations", { name: "folder-a", type: "local", config: { path: folderA } });
    const b = await client.post("/destinations", { name: "folder-b", type: "local", config: { path: folderB } });
    expect([a.status, b.status]).toEqual([201, 201]);
    destA = { id: a.body.id, name: "folder-a" };
    destB = { id: b.body.id, name: "folder-b" };

    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [destA.id] });
    expect(started.status).toBe(202);
    const done = await waitForRun(client, started.body.runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed" || d.state === "failed")));
    expect(done.state).toBe("completed");
    run = { runId: done.runId, sha256: done.sha256, datasourceId: ds.body.id };
    const [delivery] = (await client.get(`/runs/${run.runId}/deliveries`)).body.items as { state: string; path: string }[];
    expect(delivery!.state).toBe("completed");
    objectName = path.relative(folderA, delivery!.path);
  });
  afterAll(async () => {
    await cp2Agent?.process?.stop();
    await cp2?.process.stop();
    await stack?.stop();
    for (const db of dbs) await db.drop();
  });

  it("runs validate finds the delivered copy ok and exits 0", async () => {
    const r = await cli(["runs", "validate", run.runId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^folder-a +${objectName.replaceAll(".", "\\.")} +ok `, "m"));
    expect(r.stderr).toContain(`All 1 copy of run ${run.runId} ok`);

    const json = await cli(["runs", "validate", run.runId, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: run.runId, depth: "full", ok: true, copies: [{ destinationId: destA.id, objectName, verdict: "ok", checked: "sha256" }] });
  });

  it("runs validate names an artifact altered at its destination (same size, one byte flipped) and exits 1", async () => {
    const file = path.join(folderA, objectName);
    const original = await readFile(file);
    const altered = Buffer.from(original);
    const at = Math.floor(altered.length / 2);
    altered[at] = altered[at]! ^ 0xff;
    await writeFile(file, altered);
    try {
      const r = await cli(["runs", "validate", run.runId]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^folder-a +${objectName.replaceAll(".", "\\.")} +altered +.*${path.basename(objectName).replaceAll(".", "\\.")}`, "m"));
      expect(r.stderr).toContain("0 of 1 copy of run");
      // The size depth cannot see a flipped byte: only that every object is there with its size.
      const sized = await cli(["runs", "validate", run.runId, "--depth", "size", "--json"]);
      expect(sized.code).toBe(0);
      expect(JSON.parse(sized.stdout)).toMatchObject({ depth: "size", ok: true, copies: [{ checked: "size", bytesRead: 0 }] });
    } finally {
      await writeFile(file, original);
    }
    expect((await cli(["runs", "validate", run.runId])).code).toBe(0);
  });

  it("runs validate: an unknown run exits 3, a wrong depth is a usage error (2)", async () => {
    const missing = await cli(["runs", "validate", "run_doesnotexist"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^holdfast: .*\(RUN_NOT_FOUND\)\n/);
    const wrong = await cli(["runs", "validate", run.runId, "--depth", "deep"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--depth");
  });

  it("runs copy --to B --wait copies the backup to B, where validate then finds a second sound copy", async () => {
    const r = await cli(["runs", "copy", run.runId, "--to", destB.name, "--wait"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Run ${run.runId} copied to folder-b`);
    const atB = await filesUnder(folderB);
    expect(atB).toContain(objectName);
    expect(atB).toContain(`${objectName}.json`);
    expect(await sha256File(path.join(folderB, objectName))).toBe(run.sha256);

    const validated = await cli(["runs", "validate", run.runId, "--json"]);
    expect(validated.code).toBe(0);
    const answer = JSON.parse(validated.stdout);
    expect(answer.copies.map((c: { destinationId: string; verdict: string }) => [c.destinationId, c.verdict]).sort()).toEqual([[destA.id, "ok"], [destB.id, "ok"]].sort());

    // B holds a live copy now: a second one there is refused as a conflict (4), nothing queued.
    const again = await cli(["runs", "copy", run.runId, "--to", destB.id, "--wait"]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/^holdfast: .*\(ALREADY_EXISTS\)\n/);

    const unknown = await cli(["runs", "copy", run.runId, "--to", "no-such-destination"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("DESTINATION_NOT_FOUND");
  });

  it("cleanup lists only a Holdfast backup no record holds; --yes removes exactly its objects", async () => {
    // A complete backup (artifact and sidecar) of a run the catalogue never recorded, beside the live
    // one: what a crash between writing and recording leaves. And files without a sidecar.
    const orphanRunId = "run_0123456789abcdef0123456789abcdef";
    const orphanName = objectName.replace(run.runId, orphanRunId);
    await copyFile(path.join(folderA, objectName), path.join(folderA, orphanName));
    const sidecar = JSON.parse(await readFile(path.join(folderA, `${objectName}.json`), "utf8"));
    await writeFile(path.join(folderA, `${orphanName}.json`), JSON.stringify({ ...sidecar, runId: orphanRunId }));
    const strangers = [path.join(path.dirname(objectName), "notes.txt"), objectName.replace(run.runId, "run_nosidecar")];
    for (const s of strangers) await writeFile(path.join(folderA, s), "not Holdfast's\n");
    const before = await filesUnder(folderA);

    const listed = await cli(["cleanup", destA.name, "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const orphans = JSON.parse(listed.stdout).items as { objectName: string; runId: string; objects: string[] }[];
    expect(orphans.map((o) => [o.objectName, o.runId, [...o.objects].sort()])).toEqual([[orphanName, orphanRunId, [orphanName, `${orphanName}.json`]]]);

    // Without --yes, and with no terminal to ask on, nothing is removed: it says how to.
    const report = await cli(["cleanup", destA.name]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(new RegExp(`^${orphanName.replaceAll(".", "\\.")} +${orphanRunId} +\\d[\\d.]* k?B +2$`, "m"));
    expect(report.stdout).not.toContain(run.runId);
    expect(report.stderr).toContain("1 orphaned backup, 2 objects");
    expect(report.stderr).toContain(`holdfast cleanup ${destA.id} --yes`);
    expect(await filesUnder(folderA)).toEqual(before);

    // On a terminal it asks; anything but yes keeps everything.
    const asked = await onTerminal(["cleanup", destA.name], "n\n");
    expect(asked.code).toBe(0);
    expect(asked.output).toContain("Remove these 1 from folder-a? [y/N]");
    expect(asked.output).toContain("Nothing removed.");
    expect(await filesUnder(folderA)).toEqual(before);

    const removed = await cli(["cleanup", destA.name, "--yes"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`deleted ${orphanName} (2 objects`);
    expect(await filesUnder(folderA)).toEqual(before.filter((f) => f !== orphanName && f !== `${orphanName}.json`));
    expect((await cli(["runs", "validate", run.runId])).code).toBe(0);

    const again = await cli(["cleanup", destA.id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain("Nothing to clean up at folder-a");
  });

  it("catalogue import gives an empty control plane A's backups, which then restore", async () => {
    // One try per delivery: the last test's copy to a broken folder fails at once instead of retrying.
    cp2 = await startControlPlane({ env: { HOLDFAST_DELIVERY_ATTEMPTS: "1" } });
    const token2 = await createAdmin(cp2);
    client2 = api(cp2, token2);
    env2 = { HOLDFAST_SERVER: cp2.url, HOLDFAST_TOKEN: token2, NO_COLOR: "1" };
    const dest = await client2.post("/destinations", { name: "found-a", type: "local", config: { path: folderA } });
    expect(dest.status).toBe(201);

    const dry = await cli(["catalogue", "import", "found-a", "--dry-run"], env2);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^${run.runId} +${run.datasourceId} +\\S+ +.+ +imported +-$`, "m"));
    expect(dry.stderr).toContain("Dry run, nothing was written: 1 to import, 0 known, 0 invalid.");
    expect((await client2.get("/runs")).body.items).toEqual([]);

    const imported = await cli(["catalogue", "import", "found-a", "--json"], env2);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ dryRun: false, found: 1, imported: 1, entries: [{ runId: run.runId, outcome: "imported", objectName }] });
    const listed = await cli(["runs", "list", "--json"], env2);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = JSON.parse(listed.stdout) as { runId: string; sha256: string }[];
    expect(runs.map((r) => [r.runId, r.sha256])).toEqual([[run.runId, run.sha256]]);

    const second = await cli(["catalogue", "import", dest.body.id], env2);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("0 imported, 1 known, 0 invalid.");

    // The imported run restores through the second control plane, into a fresh database.
    cp2Agent = await enrollAgent(cp2);
    await cp2Agent.start();
    await waitForAgentStatus(client2, cp2Agent.agentId, "online");
    const target = await createScratchDatabase("hf_clistore_dst");
    dbs.push(target);
    const targetDs = await client2.post("/datasources", {
      agentId: cp2Agent.agentId,
      name: "restore target",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: target.name, username: "postgres" },
    });
    expect(targetDs.status).toBe(201);
    const restored = await cli(["restore", run.runId, "--to", targetDs.body.id, "--wait"], env2);
    expect(restored.code, restored.stderr).toBe(0);
    const [before, after] = await Promise.all([snapshotTables(source.url), snapshotTables(target.url)]);
    expect(after).toEqual(before);
  });

  it("runs copy --wait exits 1 with the destination's error when the copy fails", async () => {
    // A folder that was fine when the destination was made, then replaced by a file: every write fails.
    const broken = tempDir("cli-stored-broken");
    const dest = await client2.post("/destinations", { name: "broken", type: "local", config: { path: broken } });
    expect(dest.status).toBe(201);
    await rm(broken, { recursive: true });
    await writeFile(broken, "a file where the folder was\n");

    const r = await cli(["runs", "copy", run.runId, "--to", "broken", "--wait"], env2);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^holdfast: The copy failed after 1 try: .+\n/m);
    const deliveries = (await client2.get(`/runs/${run.runId}/deliveries`)).body.items as { destinationId: string; state: string }[];
    expect(deliveries.find((d) => d.destinationId === dest.body.id)?.state).toBe("failed");
    // The source copy is untouched and still sound.
    expect((await cli(["runs", "validate", run.runId], env2)).code).toBe(0);
  });
});
