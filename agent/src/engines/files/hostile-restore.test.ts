import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import zlib from "node:zlib";
import tar, { type Pack } from "tar-stream";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir } from "../../testing/helpers.js";
import { FilesEngine } from "./engine.js";

const tmp = makeTempDir("files-hostile");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const engine = new FilesEngine();
/** Every escape below aims here; after each refusal it must still be empty. */
const outside = path.join(tmp, "outside");
const targets = path.join(tmp, "targets");

type Entry = Parameters<Pack["entry"]>[0] & { body?: string };

/** A tar built entry by entry with tar-stream, as an attacker would craft it. */
async function craft(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const bytes = buffer(pack);
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body !== undefined) pack.entry(header, body, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  return bytes;
}

async function restoreBytes(bytes: Buffer, name: string, overwrite = false) {
  const target = path.join(targets, name);
  const file = path.join(tmp, `${name}.tar.gz`);
  fs.writeFileSync(file, zlib.gzipSync(bytes));
  const err = await engine.restore(fs.createReadStream(file), { path: target }, { format: "tar", codec: "gzip", overwrite }).then(
    () => null,
    (e: unknown) => e,
  );
  return { err, target };
}

function listAll(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

describe("a files restore refuses entries that would escape the target, and writes nothing outside it", () => {
  beforeEach(() => {
    fs.rmSync(outside, { recursive: true, force: true });
    fs.mkdirSync(outside, { recursive: true });
    fs.mkdirSync(targets, { recursive: true });
  });

  const escapes: Array<[string, Entry[], RegExp]> = [
    ["../ climbing out", [{ name: "ok.txt", body: "fine" }, { name: "../../outside/escape", body: "pwned" }], /'\.\.'/],
    ["an absolute path", [{ name: path.join(outside, "abs"), body: "pwned" }], /absolute/],
    ["a/../../x", [{ name: "a/", type: "directory" }, { name: "a/../../../outside/x", body: "pwned" }], /'\.\.'/],
    ["a symlink, then a file through it", [{ name: "link", type: "symlink", linkname: outside }, { name: "link/file", body: "pwned" }], /under the symlink link/],
    ["a symlink, then a directory through it", [{ name: "link", type: "symlink", linkname: outside }, { name: "link/sub/", type: "directory" }], /under the symlink link/],
    ["a relative symlink climbing out, then a file through it", [{ name: "d/", type: "directory" }, { name: "d/up", type: "symlink", linkname: "../../../outside" }, { name: "d/up/f", body: "pwned" }], /under the symlink d\/up/],
    ["a hard link", [{ name: "hl", type: "link", linkname: path.join(outside, "victim") }], /hard link/],
    ["a character device", [{ name: "null", type: "character-device", devmajor: 1, devminor: 3 }], /device/],
    ["a block device", [{ name: "sda", type: "block-device", devmajor: 8, devminor: 0 }], /device/],
    ["a FIFO", [{ name: "pipe", type: "fifo" }], /FIFO/],
    ["a file under a file", [{ name: "f", body: "x" }, { name: "f/g", body: "y" }], /not a directory/],
  ];

  for (const [what, entries, reason] of escapes) {
    it(`refuses ${what}: RESTORE_FAILED (stage extract, the entry named), nothing outside`, async () => {
      const { err, target } = await restoreBytes(await craft(entries), what.replace(/\W+/g, "-"));
      expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "extract", entry: expect.any(String), reason: expect.stringMatching(reason) } });
      expect(listAll(outside)).toEqual([]);
      expect(fs.existsSync(path.join(tmp, "escape"))).toBe(false);
      // Nothing half-written was left under a temp name either.
      expect(listAll(target).filter((f) => f.includes(".holdfast-"))).toEqual([]);
    });
  }

  it("refuses to write through a symlink already in the target (overwrite restore)", async () => {
    const target = path.join(targets, "pre-existing");
    fs.mkdirSync(target, { recursive: true });
    fs.symlinkSync(outside, path.join(target, "data"));
    const { err } = await restoreBytes(await craft([{ name: "data/", type: "directory" }, { name: "data/f", body: "pwned" }]), "pre-existing", true);
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "extract", reason: expect.stringMatching(/symlink data/) } });
    expect(listAll(outside)).toEqual([]);
  });

  it("a file entry replaces a symlink in its place instead of writing through it", async () => {
    const target = path.join(targets, "replace-link");
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(outside, "victim"), "original");
    fs.symlinkSync(path.join(outside, "victim"), path.join(target, "config"));
    const { err } = await restoreBytes(await craft([{ name: "config", body: "restored" }]), "replace-link", true);
    expect(err).toBeNull();
    expect(fs.lstatSync(path.join(target, "config")).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(target, "config"), "utf8")).toBe("restored");
    expect(fs.readFileSync(path.join(outside, "victim"), "utf8")).toBe("original");
  });

  it("drops setuid/setgid/sticky bits and keeps the permission bits", async () => {
    const { err, target } = await restoreBytes(
      await craft([{ name: "suid", body: "x", mode: 0o6755 }, { name: "sticky/", type: "directory", mode: 0o1777 }, { name: "ro", body: "r", mode: 0o400 }]),
      "modes",
    );
    expect(err).toBeNull();
    expect(fs.statSync(path.join(target, "suid")).mode & 0o7777).toBe(0o755);
    expect(fs.statSync(path.join(target, "sticky")).mode & 0o7777).toBe(0o777);
    expect(fs.statSync(path.join(target, "ro")).mode & 0o7777).toBe(0o400);
  });

  it("escapes control characters and cuts a hostile name in the error", async () => {
    const evil = `../\u001b[31mred\nFAKE LOG LINE ${"x".repeat(400)}`;
    const { err } = await restoreBytes(await craft([{ name: evil, body: "x" }]), "control-chars");
    const entry = (err as { details: { entry: string } }).details.entry;
    expect(entry).not.toMatch(/[\u0000-\u001f]/);
    expect(entry.startsWith("../\\x1b[31mred\\x0aFAKE LOG LINE")).toBe(true);
    expect(entry.length).toBeLessThanOrEqual(201);
    expect((err as Error).message).not.toContain("\n");
  });

  it("a symlink pointing outside is restored as a link (never followed) with a warning", async () => {
    const target = path.join(targets, "outside-link");
    const file = path.join(tmp, "outside-link.tar.gz");
    fs.writeFileSync(file, zlib.gzipSync(await craft([{ name: "passwd", type: "symlink", linkname: "/etc/passwd" }, { name: "ok", body: "fine" }])));
    const result = await engine.restore(fs.createReadStream(file), { path: target }, { format: "tar", codec: "gzip" });
    expect(fs.readlinkSync(path.join(target, "passwd"))).toBe("/etc/passwd");
    expect(result.warnings).toEqual(["passwd is a symlink to /etc/passwd, outside the restore target: restored as a link, never followed"]);
  });

  it("a truncated or non-tar artifact fails with a stage (decompress or extract)", async () => {
    const good = zlib.gzipSync(await craft([{ name: "a", body: "x".repeat(100_000) }]));
    const cut = path.join(tmp, "cut.tar.gz");
    fs.writeFileSync(cut, good.subarray(0, good.length - 20));
    const e1 = await engine.restore(fs.createReadStream(cut), { path: path.join(targets, "cut") }, { format: "tar", codec: "gzip" }).catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "decompress" } });
    const junk = path.join(tmp, "junk.tar");
    fs.writeFileSync(junk, Buffer.alloc(4096, 0x41));
    const e2 = await engine.restore(fs.createReadStream(junk), { path: path.join(targets, "junk") }, { format: "tar", codec: "none" }).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "extract" } });
    const e3 = await engine.restore(fs.createReadStream(junk), { path: path.join(targets, "junk-zst") }, { format: "tar", codec: "zstd" }).catch((e: unknown) => e);
    expect(e3).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "decompress", stderr: expect.stringMatching(/zstd|unknown header|not in zstd format/i) } });
  });

  it("refuses a target that is a file (stage target) and a wrong format (VALIDATION_FAILED)", async () => {
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    const tarFile = path.join(tmp, "one.tar");
    fs.writeFileSync(tarFile, await craft([{ name: "a", body: "x" }]));
    const [s1, s2] = [fs.createReadStream(tarFile), fs.createReadStream(tarFile)];
    await expect(engine.restore(s1, { path: file }, { format: "tar", codec: "none" })).rejects.toMatchObject({ code: "RESTORE_FAILED", details: { stage: "target" } });
    await expect(engine.restore(s2, { path: path.join(targets, "fmt") }, { format: "plain", codec: "none" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    // Refused before reading: the caller (restore-target.ts) destroys the stream, as here. Their
    // open may still be queued on a loaded machine: wait for it, or it runs after afterAll removed tmp.
    s1.destroy();
    s2.destroy();
    await Promise.all([s1, s2].map((s) => (s.closed ? undefined : once(s, "close"))));
  });
});
