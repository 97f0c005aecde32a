import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, symlink, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { destinationContract, errorOf } from "../testing/destination-contract.js";
import { localDestination } from "./local.js";

/** Every name under a folder, at any depth (temp files included). */
async function allNames(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [])).map(String);
}

describe("local destination (contract)", () => {
  let dir: string;
  let n = 0;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-dst-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));
  destinationContract(() => {
    const root = join(dir, `root${n++}`);
    return { dest: () => localDestination({ path: root }), knowsFreeSpace: true, rawNames: () => allNames(root) };
  });
});

describe("local destination", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-dst-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("creates folders and writes the file under the root", async () => {
    const root = join(dir, "root");
    const dest = localDestination({ path: root });
    const res = await dest.put(Readable.from([Buffer.from("abc"), Buffer.from("def")]), "ds_1/run_1.sql.gz");
    expect(res).toEqual({ path: join(root, "ds_1", "run_1.sql.gz"), bytes: 6 });
    expect(await readFile(res.path, "utf8")).toBe("abcdef");
    expect(await readdir(join(root, "ds_1"))).toEqual(["run_1.sql.gz"]);
  });

  it("leaves nothing under the final name when the stream fails (temp name, then rename)", async () => {
    const dest = localDestination({ path: dir });
    const failing = new Readable({
      read() {
        this.push(Buffer.from("partial"));
        this.destroy(new Error("source died"));
      },
    });
    await expect(dest.put(failing, "ds_1/run_2.sql.gz")).rejects.toThrow("source died");
    expect(await readdir(join(dir, "ds_1"))).toEqual([]);
  });

  it("replaces the partial copy a killed write left beside the final name when the delivery is retried", async () => {
    const dest = localDestination({ path: dir });
    await mkdir(join(dir, "ds_1"));
    // What a control plane killed mid-write leaves: the temp name, half written, nothing under the final name.
    await writeFile(join(dir, "ds_1", ".run_3.sql.gz.holdfast-tmp"), "half of it");
    const res = await dest.put(Readable.from([Buffer.from("whole")]), "ds_1/run_3.sql.gz");
    expect(await readFile(res.path, "utf8")).toBe("whole");
    expect(await readdir(join(dir, "ds_1"))).toEqual(["run_3.sql.gz"]);
  });

  it.each(["../escape.gz", "ds/../../escape.gz", "/etc/passwd", "a\0b"])("refuses %j, a path outside the root", async (name) => {
    const dest = localDestination({ path: join(dir, "root") });
    const err = await dest.put(Readable.from([Buffer.from("x")]), name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(await readdir(dir).catch(() => [])).not.toContain("escape.gz");
  });

  it("refuses to follow a symlink out of the root", async () => {
    const root = join(dir, "root");
    await mkdir(root);
    await mkdir(join(dir, "outside"));
    await symlink(join(dir, "outside"), join(root, "link"));
    const err = await localDestination({ path: root }).put(Readable.from([Buffer.from("x")]), "link/f.gz").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(await readdir(join(dir, "outside"))).toEqual([]);
  });

  it("reads nothing through a symlink planted inside the root", async () => {
    const root = join(dir, "root");
    await mkdir(join(root, "ds_1"), { recursive: true });
    await mkdir(join(dir, "outside"));
    await writeFile(join(dir, "outside", "secret.txt"), "not yours");
    await symlink(join(dir, "outside", "secret.txt"), join(root, "ds_1", "planted.bin"));
    await symlink(join(dir, "outside"), join(root, "linked"));
    const dest = localDestination({ path: root });
    expect(await dest.list("")).toEqual([]);
    expect(await dest.get("ds_1/planted.bin").catch((e: unknown) => e)).toBeInstanceOf(HoldfastError);
    expect(await dest.stat("linked/secret.txt").catch((e: unknown) => e)).toBeInstanceOf(HoldfastError);
  });

  it("knows the free space of a root that does not exist yet", async () => {
    expect(await localDestination({ path: join(dir, "not", "yet") }).freeSpace()).toBeGreaterThan(0);
  });
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** A tmpfs that is another file system than the test's temp folder (for the copy path), when the machine has one. */
const otherFs = existsSync("/dev/shm") ? "/dev/shm" : null;

describe("local destination: hard link from the spool", () => {
  let dir: string;
  let spool: string;
  let bytes: Buffer;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-dst-"));
    await mkdir(join(dir, "spool"), { mode: 0o700 });
    spool = join(dir, "spool", "run_1.artifact");
    bytes = randomBytes(200_000);
    await writeFile(spool, bytes, { mode: 0o600 });
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("makes the spool copy the object (same inode, the mode put gives), and the object outlives the spool's removal", async () => {
    const dest = localDestination({ path: join(dir, "root") });
    const res = await dest.link!(spool, "ds_1/run_1.sql.gz", { bytes: bytes.length });
    expect(res).toEqual({ path: join(dir, "root", "ds_1", "run_1.sql.gz"), bytes: bytes.length });
    const delivered = await stat(res!.path);
    expect(delivered.ino).toBe((await stat(spool)).ino);
    expect(delivered.nlink).toBe(2);
    // What a copy by put gets: owner writes, group reads (less the umask).
    const put = await dest.put(Readable.from([Buffer.from("x")]), "ds_1/copied.bin");
    expect(delivered.mode & 0o777).toBe((await stat(put.path)).mode & 0o777);
    expect(await readdir(join(dir, "root", "ds_1"))).toEqual(["copied.bin", "run_1.sql.gz"]);

    // The spool's cleanup after the last delivery.
    await rm(spool);
    const after = await readFile(res!.path);
    expect(sha(after)).toBe(sha(bytes));
    expect((await stat(res!.path)).nlink).toBe(1);
  });

  it("deleting the object (retention) leaves the spool copy whole", async () => {
    const dest = localDestination({ path: join(dir, "root") });
    await dest.link!(spool, "ds_1/run_1.sql.gz", { bytes: bytes.length });
    await dest.delete("ds_1/run_1.sql.gz");
    expect(await dest.stat("ds_1/run_1.sql.gz")).toBeNull();
    expect(sha(await readFile(spool))).toBe(sha(bytes));
    expect((await stat(spool)).nlink).toBe(1);
  });

  it("gives a second destination on the same file system no share of the inode: it answers null (copy)", async () => {
    const first = await localDestination({ path: join(dir, "a") }).link!(spool, "x.gz", { bytes: bytes.length });
    expect(first).not.toBeNull();
    expect(await localDestination({ path: join(dir, "b") }).link!(spool, "x.gz", { bytes: bytes.length })).toBeNull();
    expect(await readdir(join(dir, "b"))).toEqual([]);
  });

  it.each(["EXDEV", "EPERM", "EMLINK"])("answers null and leaves nothing when the file system refuses the link (%s)", async (code) => {
    const linkFile = () => Promise.reject(Object.assign(new Error(`link: ${code}`), { code }));
    const dest = localDestination({ path: join(dir, "root") }, { linkFile });
    expect(await dest.link!(spool, "ds_1/run_1.sql.gz", { bytes: bytes.length })).toBeNull();
    expect(await readdir(join(dir, "root", "ds_1"))).toEqual([]);
  });

  it("refuses a spool copy whose size is not the recorded one, and leaves nothing under the name", async () => {
    const err = await errorOf(localDestination({ path: join(dir, "root") }).link!(spool, "ds_1/run_1.sql.gz", { bytes: bytes.length + 1 }));
    expect(err).toMatchObject({ code: "CHECKSUM_MISMATCH", retryable: false });
    expect(await readdir(join(dir, "root", "ds_1"))).toEqual([]);
    expect((await stat(spool)).nlink).toBe(1);
  });

  it.skipIf(!otherFs)("answers null for a folder on another file system than the spool", async () => {
    const root = await mkdtemp(join(otherFs!, "holdfast-dst-"));
    try {
      expect((await stat(root)).dev).not.toBe((await stat(spool)).dev);
      expect(await localDestination({ path: root }).link!(spool, "ds_1/run_1.sql.gz", { bytes: bytes.length })).toBeNull();
      expect(await readdir(join(root, "ds_1"))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

describe("local destination: read-only files (readOnly: true)", () => {
  let dir: string;
  let n = 0;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-dst-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  describe("contract", () => {
    destinationContract(() => {
      const root = join(dir, `ro${n++}`);
      return { dest: () => localDestination({ path: root, readOnly: true }), knowsFreeSpace: true, rawNames: () => allNames(root) };
    });
  });

  it("gives what it writes mode 0444, whatever the umask, and nothing else changes", async () => {
    const dest = localDestination({ path: join(dir, "root"), readOnly: true });
    const res = await dest.put(Readable.from([Buffer.from("abc")]), "ds_1/run_1.sql.gz");
    expect(await modeOf(res.path)).toBe(0o444);
    expect(await readFile(res.path, "utf8")).toBe("abc");
    expect(await readdir(join(dir, "root", "ds_1"))).toEqual(["run_1.sql.gz"]);
    // Without the switch, the usual mode: owner writes.
    const plain = await localDestination({ path: join(dir, "root") }).put(Readable.from([Buffer.from("x")]), "ds_1/plain.bin");
    expect((await modeOf(plain.path)) & 0o200).toBe(0o200);
  });

  it("lifts read-only just before the unlink, and only on the file deleted", async () => {
    const modes: number[] = [];
    const root = join(dir, "root");
    const dest = localDestination({ path: root, readOnly: true }, { unlinkFile: async (path) => void modes.push(await modeOf(path)) });
    await dest.put(Readable.from([Buffer.from("a")]), "ds_1/a.bin");
    await dest.put(Readable.from([Buffer.from("b")]), "ds_1/b.bin");
    await dest.delete("ds_1/a.bin");
    // What an SMB server sees at the delete: the owner may write (0644), so it lets the file go.
    expect(modes).toEqual([0o644]);
    expect(await modeOf(join(root, "ds_1", "b.bin"))).toBe(0o444);
    // And really deleted with the real unlink.
    await localDestination({ path: root, readOnly: true }).delete("ds_1/b.bin");
    expect(await readdir(join(root, "ds_1"))).toEqual(["a.bin"]);
  });

  it("never changes the mode of what a symlink planted under a name points to", async () => {
    const root = join(dir, "root");
    await mkdir(join(root, "ds_1"), { recursive: true });
    const outside = join(dir, "outside.txt");
    await writeFile(outside, "not yours", { mode: 0o444 });
    await symlink(outside, join(root, "ds_1", "planted.bin"));
    await localDestination({ path: root, readOnly: true }).delete("ds_1/planted.bin");
    expect(await readdir(join(root, "ds_1"))).toEqual([]);
    expect(await modeOf(outside)).toBe(0o444);
  });

  describe("hard link from the spool", () => {
    let spool: string;
    let bytes: Buffer;
    beforeEach(async () => {
      await mkdir(join(dir, "spool"), { mode: 0o700 });
      spool = join(dir, "spool", "run_1.artifact");
      bytes = randomBytes(100_000);
      await writeFile(spool, bytes, { mode: 0o600 });
    });

    it("makes the shared inode 0444; the spool's name still goes, the object stays 0444 and whole", async () => {
      const dest = localDestination({ path: join(dir, "root"), readOnly: true });
      const res = await dest.link!(spool, "ds_1/run_1.sql.gz", { bytes: bytes.length });
      expect(res).not.toBeNull();
      expect((await stat(res!.path)).ino).toBe((await stat(spool)).ino);
      // One inode, one mode: the spool's name reads 0444 too until the cleanup removes it.
      expect(await modeOf(res!.path)).toBe(0o444);
      expect(await modeOf(spool)).toBe(0o444);
      await rm(spool);
      expect(existsSync(spool)).toBe(false);
      expect(await modeOf(res!.path)).toBe(0o444);
      expect((await stat(res!.path)).nlink).toBe(1);
      expect(sha(await readFile(res!.path))).toBe(sha(bytes));
    });

    it("deleting the linked object while the spool copy waits leaves the spool copy whole", async () => {
      const dest = localDestination({ path: join(dir, "root"), readOnly: true });
      await dest.link!(spool, "ds_1/run_1.sql.gz", { bytes: bytes.length });
      await dest.delete("ds_1/run_1.sql.gz");
      expect(await dest.stat("ds_1/run_1.sql.gz")).toBeNull();
      expect(sha(await readFile(spool))).toBe(sha(bytes));
      expect((await stat(spool)).nlink).toBe(1);
    });
  });
});
