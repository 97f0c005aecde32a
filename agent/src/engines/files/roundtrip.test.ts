import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveBackupOptions, type Codec, type FilesConnection } from "@holdfast/shared";
import { stageBackup } from "../../testing/engines.js";
import { makeTempDir } from "../../testing/helpers.js";
import { FilesEngine } from "./engine.js";

const tmp = makeTempDir("files-roundtrip");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const engine = new FilesEngine({ tmpDir: path.join(tmp, "scratch") });

const NFC = "caf\u00e9.txt";
const NFD = "cafe\u0301.txt";
const LONG_DIR = `${"long-directory-name-".repeat(6)}end`;

/** The source tree: unicode (NFC and NFD side by side), empty dir, 0-byte and 3 MiB files, modes, excludes, symlinks. */
function makeSource(root: string): void {
  const write = (rel: string, data: string | Buffer, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
    fs.chmodSync(path.join(root, rel), mode);
  };
  write(NFC, "composed");
  write(NFD, "decomposed");
  write("日本語/ファイル 😀.txt", "unicode in a folder");
  write("zero.bin", "");
  write("big.bin", randomBytes(3 * 1024 * 1024));
  write("bin/run.sh", "#!/bin/sh\necho hi\n", 0o755);
  write("private.key", "secret", 0o600);
  write("setuid-tool", "tool", 0o4755);
  write(`${LONG_DIR}/${LONG_DIR}/file-with-a-long-path.txt`, "deep");
  write(".hidden/dotfile", "dot");
  write("notes.tmp", "scratch");
  write("keep/x.tmp", "nested scratch");
  write("skip/secret.txt", "left out");
  write("skip/sub/more.txt", "left out too");
  write("keep/skip/anchored.txt", "kept: skip/** is anchored at the folder");
  fs.mkdirSync(path.join(root, "empty-dir"));
  fs.mkdirSync(path.join(root, "readonly-dir"));
  write("readonly-dir/inside.txt", "in a 0555 folder");
  fs.chmodSync(path.join(root, "readonly-dir"), 0o555);
  fs.symlinkSync("/etc/passwd", path.join(root, "passwd-link"));
  fs.symlinkSync("big.bin", path.join(root, "big-link"));
  fs.symlinkSync("日本語", path.join(root, "dir-link"));
}

/**
 * The tree as this test sees it, walked with plain fs calls (not the engine's walker): relative path →
 * what it is. Files by sha256, permission bits and size; symlinks by target; directories by bits.
 */
function manifest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir)) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${mode}`;
        visit(abs, r);
      } else out[r] = `file ${mode} ${st.size} ${createHash("sha256").update(fs.readFileSync(abs)).digest("hex")}`;
    }
  };
  visit(root, "");
  return out;
}

/** The source manifest as the rules filter it, with the modes a restore keeps (no setuid). */
function expectedAfterRestore(source: Record<string, string>): Record<string, string> {
  const kept = Object.entries(source).filter(([rel]) => !/^skip(\/|$)/.test(rel) && !rel.endsWith(".tmp"));
  return Object.fromEntries(kept.map(([rel, what]) => [rel, what.replace(/^file 4755/, "file 755")]));
}

async function backup(connection: FilesConnection, codec: Codec, runId: string) {
  const resolved = resolveBackupOptions({ compression: { codec } }, "files");
  return { ...(await stageBackup(engine, connection, resolved, { tmp, runId })), format: resolved.format };
}

describe("a folder through the agent's pipeline and back with engine.restore", () => {
  const root = path.join(tmp, "source");
  makeSource(root);
  const connection: FilesConnection = { path: root, exclude: ["skip/**", "*.tmp"] };
  const source = manifest(root);

  it("the source tree holds what the test means (NFC and NFD names are two files)", () => {
    expect(source[NFC]).toMatch(/^file/);
    expect(source[NFD]).toMatch(/^file/);
    expect(source["setuid-tool"]).toMatch(/^file 4755/);
  });

  for (const codec of ["gzip", "zstd", "none"] as const) {
    it(`${codec}: the restored tree equals the filtered source (paths, bytes, modes, links) and the dump's fingerprint`, async () => {
      const { artifact, dump, format } = await backup(connection, codec, `run_${codec}`);
      expect(format).toBe("tar");
      expect(artifact.fileName).toBe(`run_${codec}.tar${codec === "gzip" ? ".gz" : codec === "zstd" ? ".zst" : ""}`);
      expect(dump.warnings!()).toEqual([]);
      const target = path.join(tmp, `restored-${codec}`);
      const result = await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "tar", codec });
      expect(result.warnings).toEqual(["passwd-link is a symlink to /etc/passwd, outside the restore target: restored as a link, never followed"]);
      expect(manifest(target)).toEqual(expectedAfterRestore(source));
      const fingerprint = await dump.sourceFingerprint!();
      expect(await engine.fingerprint({ ...connection, path: target })).toEqual(fingerprint);
      expect(fingerprint.items["big.bin"]!.checksum).toBe(`file 0644 ${3 * 1024 * 1024} sha256:${source["big.bin"]!.split(" ").at(-1)}`);
      expect(fingerprint.items["passwd-link"]!.checksum).toBe("symlink /etc/passwd");
      expect(Object.keys(fingerprint.items).some((k) => k.startsWith("skip"))).toBe(false);
    }, 60_000);
  }

  it("the archive is deterministic: the same tree gives the same bytes (sorted entries)", async () => {
    const a = await backup(connection, "none", "run_det_a");
    const b = await backup(connection, "none", "run_det_b");
    expect(a.artifact.sha256).toBe(b.artifact.sha256);
  }, 60_000);

  it("include rules: only the matches, with the folders on their way", async () => {
    const { artifact } = await backup({ path: root, include: ["*.sh", "日本語/**"] }, "gzip", "run_inc");
    const target = path.join(tmp, "restored-include");
    await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "tar", codec: "gzip" });
    expect(Object.keys(manifest(target)).sort()).toEqual(["bin", "bin/run.sh", "日本語", "日本語/ファイル 😀.txt"].sort());
  });

  it("refuses a non-empty target without overwrite; overwrite replaces archived paths and keeps the rest", async () => {
    const { artifact } = await backup(connection, "gzip", "run_over");
    const target = path.join(tmp, "restored-over");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "big.bin"), "old content");
    fs.writeFileSync(path.join(target, "stray.txt"), "not in the archive");
    const err = await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "tar", codec: "gzip" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY", status: 409, details: { path: target, entries: 2 } });
    expect((err as Error).message).toContain("send options.overwrite: true to replace them");
    expect(fs.readFileSync(path.join(target, "big.bin"), "utf8")).toBe("old content");
    await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "tar", codec: "gzip", overwrite: true });
    const restored = manifest(target);
    expect(restored["stray.txt"]).toMatch(/^file/);
    delete restored["stray.txt"];
    expect(restored).toEqual(expectedAfterRestore(source));
  }, 60_000);

  it("drill hooks: a private scratch folder with the source's rules; drop removes it", async () => {
    const { artifact, dump } = await backup(connection, "zstd", "run_drill");
    const scratch = await engine.createScratch(connection, "drill_7");
    expect(fs.statSync(scratch.connection.path).mode & 0o777).toBe(0o700);
    expect(scratch.connection.exclude).toEqual(connection.exclude);
    await engine.restore(fs.createReadStream(artifact.stagingPath), scratch.connection, { format: "tar", codec: "zstd" });
    expect(await engine.fingerprint(scratch.connection)).toEqual(await dump.sourceFingerprint!());
    fs.writeFileSync(path.join(scratch.connection.path, "big.bin"), "tampered");
    expect(await engine.fingerprint(scratch.connection)).not.toEqual(await dump.sourceFingerprint!());
    await scratch.drop();
    expect(fs.existsSync(scratch.connection.path)).toBe(false);
  }, 60_000);

  it("testConnection and listDatabases count the included files and their bytes", async () => {
    const r = await engine.testConnection(connection);
    const files = Object.entries(expectedAfterRestore(source)).filter(([, w]) => w.startsWith("file"));
    expect(r).toMatchObject({ serverVersion: "files", tablesCount: files.length, databaseSizeBytes: files.reduce((n, [, w]) => n + Number(w.split(" ")[2]), 0) });
    expect(await engine.listDatabases(connection)).toEqual([{ name: root, sizeBytes: r.databaseSizeBytes }]);
    expect(await new FilesEngine({ maxCountedEntries: 3 }).testConnection(connection)).toMatchObject({ tablesCount: null, databaseSizeBytes: null });
    expect(await engine.toolVersion()).toMatch(/^tar-stream \d+\.\d+\.\d+$/);
    const notAFolder = path.join(root, "big.bin");
    await expect(engine.testConnection({ path: notAFolder })).rejects.toMatchObject({ code: "DB_CONNECTION_TEST_FAILED", details: { path: notAFolder, reason: "not_a_folder" } });
  });

  it("a folder that does not exist is DATABASE_NOT_FOUND (422, not retried) in the connection test, the listing and the dump", async () => {
    const missing = path.join(tmp, "missing");
    const expected = { code: "DATABASE_NOT_FOUND", status: 422, retryable: false, details: { path: missing, reason: "missing" } };
    await expect(engine.testConnection({ path: missing })).rejects.toMatchObject(expected);
    await expect(engine.listDatabases({ path: missing })).rejects.toMatchObject(expected);
    const dump = await engine.dump({ path: missing });
    dump.stdout.resume();
    await expect(dump.done).rejects.toMatchObject(expected);
  });
});
