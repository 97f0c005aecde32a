import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../pipeline/run-pipeline.js";
import { makeTempDir, ManualClock } from "../../testing/helpers.js";
import { FilesEngine } from "./engine.js";
import { openForRead, type OpenForRead } from "./pack-file.js";

const tmp = makeTempDir("files-dump");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const IS_ROOT = process.getuid?.() === 0;

function folder(name: string, files: Record<string, string>): string {
  const root = path.join(tmp, name);
  for (const [rel, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), body);
  }
  return root;
}

async function stage(engine: FilesEngine, root: string) {
  const runDir = fs.mkdtempSync(path.join(tmp, "run-"));
  const dump = await engine.dump({ path: root });
  const result = await runPipeline({ dump, runDir, runId: "run_x", clock: new ManualClock(), compression: { codec: "gzip", level: 1 }, extension: ".tar.gz" }).then(
    (artifact) => ({ artifact, err: null }),
    (err: unknown) => ({ artifact: null, err }),
  );
  return { ...result, dump, runDir };
}

/** An open() that fails with `code` for one path, as the kernel would. */
function failingOpen(victim: string, code: string): OpenForRead {
  return async (abs) => {
    if (abs.endsWith(victim)) throw Object.assign(new Error(`${code}: open '${abs}'`), { code });
    return openForRead(abs);
  };
}

/** An open() whose first fstat lies about the size by `delta` bytes: a file that changes under the reader. */
function resizingOpen(victim: string, delta: number): OpenForRead {
  return async (abs) => {
    const handle = await openForRead(abs);
    if (!abs.endsWith(victim)) return handle;
    const realStat = handle.stat.bind(handle);
    let calls = 0;
    handle.stat = (async () => {
      const st = await realStat();
      return calls++ === 0 ? Object.assign(Object.create(Object.getPrototypeOf(st) as object), st, { size: st.size + delta }) : st;
    }) as typeof handle.stat;
    return handle;
  };
}

describe("files dump: what cannot be read whole fails the run, what cannot be archived is skipped with a warning", () => {
  it("an unreadable file fails DUMP_FAILED naming it; no artifact is staged (injected EACCES)", async () => {
    const root = folder("eacces", { "a.txt": "a", "sub/secret.txt": "s", "z.txt": "z" });
    const { err, runDir } = await stage(new FilesEngine({ pack: { open: failingOpen("sub/secret.txt", "EACCES") } }), root);
    expect(err).toMatchObject({ code: "DUMP_FAILED", retryable: true, details: { path: "sub/secret.txt", reason: "unreadable", cause: "EACCES" } });
    expect((err as Error).message).toContain("sub/secret.txt");
    expect(fs.readdirSync(runDir)).toEqual([]);
  });

  // Root reads a chmod 000 file anyway, so this runs only as another user; the injected EACCES above
  // checks the same mapping everywhere.
  it.skipIf(IS_ROOT)("an unreadable file and an unreadable folder (chmod 000) fail DUMP_FAILED naming them", async () => {
    const root = folder("chmod", { "a.txt": "a", "locked.txt": "l", "dir/in.txt": "i" });
    fs.chmodSync(path.join(root, "locked.txt"), 0o000);
    const first = await stage(new FilesEngine(), root);
    expect(first.err).toMatchObject({ code: "DUMP_FAILED", details: { path: "locked.txt", cause: "EACCES" } });
    fs.chmodSync(path.join(root, "locked.txt"), 0o644);
    fs.chmodSync(path.join(root, "dir"), 0o000);
    const second = await stage(new FilesEngine(), root);
    fs.chmodSync(path.join(root, "dir"), 0o755);
    expect(second.err).toMatchObject({ code: "DUMP_FAILED", details: { path: "dir", cause: "EACCES" } });
  });

  it("a file that shrinks while read fails DUMP_FAILED (reason shrank); one that grows is archived as first seen, with a warning", async () => {
    const root = folder("resize", { "log.txt": "0123456789" });
    const shrank = await stage(new FilesEngine({ pack: { open: resizingOpen("log.txt", 100) } }), root);
    expect(shrank.err).toMatchObject({ code: "DUMP_FAILED", details: { path: "log.txt", reason: "shrank", expectedBytes: 110, readBytes: 10 } });
    expect(fs.readdirSync(shrank.runDir)).toEqual([]);

    const grew = await stage(new FilesEngine({ pack: { open: resizingOpen("log.txt", -4) } }), root);
    expect(grew.err).toBeNull();
    expect(grew.dump.warnings!()).toEqual(["log.txt changed while it was read: the backup holds its first 6 bytes as read"]);
    const fp = await grew.dump.sourceFingerprint!();
    expect(fp.items["log.txt"]!.checksum).toMatch(/^file 0644 6 sha256:/);
  });

  it("sockets and FIFOs are skipped with a warning (never opened: a FIFO would block)", async () => {
    const root = folder("special", { "a.txt": "a" });
    execFileSync("mkfifo", [path.join(root, "fifo")]);
    const server = net.createServer().listen(path.join(root, "sock"));
    await new Promise((r) => server.once("listening", r));
    try {
      const { err, dump } = await stage(new FilesEngine(), root);
      expect(err).toBeNull();
      expect(dump.warnings!()).toEqual(["skipped fifo: a FIFO", "skipped sock: a socket"]);
      expect(Object.keys((await dump.sourceFingerprint!()).items)).toEqual(["a.txt"]);
    } finally {
      server.close();
    }
  });

  it("a symlink pointing outside is archived as a link: its target is never opened", async () => {
    const root = folder("links", { "a.txt": "a" });
    fs.symlinkSync("/etc/passwd", path.join(root, "passwd"));
    const opened: string[] = [];
    const spy: OpenForRead = (abs) => (opened.push(abs), openForRead(abs));
    const { err, artifact } = await stage(new FilesEngine({ pack: { open: spy } }), root);
    expect(err).toBeNull();
    expect(opened).toEqual([path.join(root, "a.txt")]);
    // GNU tar reads the archive as we mean it: the link and its target.
    expect(execFileSync("tar", ["-tvzf", artifact!.stagingPath], { encoding: "utf8" })).toMatch(/passwd -> \/etc\/passwd/);
  });

  it("a file swapped for a symlink or removed between the walk and the open is skipped with a warning", async () => {
    const root = folder("swapped", { "a.txt": "a", "b.txt": "b" });
    const engine = new FilesEngine({ pack: { open: failingOpen("a.txt", "ELOOP") } });
    const { err, dump } = await stage(engine, root);
    expect(err).toBeNull();
    expect(dump.warnings!()).toEqual(["skipped a.txt: replaced by a symlink while the backup ran"]);
  });

  it("GNU tar lists unicode and long names from the pax headers", async () => {
    const long = `${"d".repeat(120)}/${"f".repeat(120)}.txt`;
    const root = folder("pax", { "caf\u00e9/😀.txt": "u", [long]: "l" });
    const { artifact } = await stage(new FilesEngine(), root);
    const names = execFileSync("tar", ["-tzf", artifact!.stagingPath], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(names).toEqual(["caf\u00e9/", "caf\u00e9/😀.txt", `${"d".repeat(120)}/`, long]);
  });

  it("streams a 512 MiB file without ever holding it (growth stays far below its size; figures belong to the bench)", async () => {
    const root = folder("large", {});
    fs.mkdirSync(root, { recursive: true });
    const big = path.join(root, "big.img");
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 512 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const { err, artifact, dump } = await stage(new FilesEngine(), root);
    clearInterval(sampler);
    expect(err).toBeNull();
    expect(artifact!.rawSizeBytes).toBeGreaterThan(512 * 1024 * 1024);
    expect((await dump.sourceFingerprint!()).items["big.img"]!.checksum).toMatch(/^file 0644 536870912 sha256:/);
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);
  }, 60_000);

  it("abort() mid-dump and a reader that goes away both settle `done` (DUMP_FAILED), never hang", async () => {
    const root = folder("abort", {});
    fs.mkdirSync(root, { recursive: true });
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, `f${i}.bin`), Buffer.alloc(2 * 1024 * 1024, i));
    const engine = new FilesEngine();

    const aborted = await engine.dump({ path: root });
    await new Promise((r) => aborted.stdout.once("readable", r));
    expect(aborted.abort()).toBe(true);
    aborted.stdout.resume();
    await expect(aborted.done).rejects.toMatchObject({ code: "DUMP_FAILED", details: { signal: "SIGTERM" } });
    expect(aborted.abort()).toBe(false);

    const abandoned = await engine.dump({ path: root });
    await new Promise((r) => abandoned.stdout.once("readable", r));
    abandoned.stdout.destroy();
    await expect(abandoned.done).rejects.toMatchObject({ code: "DUMP_FAILED" });
  });
});
