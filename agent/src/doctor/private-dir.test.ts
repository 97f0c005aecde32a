import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir } from "../testing/helpers.js";
import { checkPrivateDir } from "./private-dir.js";

describe("checkPrivateDir", () => {
  let root: string;
  beforeEach(() => {
    root = makeTempDir("doctor-dir");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("passes a 0700 directory this user owns and can write", async () => {
    fs.chmodSync(root, 0o700);
    expect(await checkPrivateDir("data-dir", "data dir", root)).toEqual([{ check: "data-dir", status: "ok", summary: `data dir ${root}: owned by this user, 0700, writable` }]);
    // The write probe leaves nothing behind.
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it("warns about a 0755 directory, with the chmod that fixes it, and does not change the mode itself", async () => {
    fs.chmodSync(root, 0o755);
    const [finding] = await checkPrivateDir("data-dir", "data dir", root);
    expect(finding).toMatchObject({ status: "warn", summary: expect.stringContaining("mode 0755"), fix: `chmod 0700 ${root}` });
    expect(fs.statSync(root).mode & 0o777).toBe(0o755);
  });

  it("fails a missing directory, unless missing is fine there", async () => {
    const missing = path.join(root, "nope");
    expect((await checkPrivateDir("data-dir", "data dir", missing))[0]).toMatchObject({ status: "fail", summary: expect.stringContaining("does not exist") });
    expect((await checkPrivateDir("staging-dir", "staging dir", missing, { missingIsOk: "created at start" }))[0]).toMatchObject({ status: "ok" });
  });

  it("fails a symlink in place of the directory", async () => {
    const link = path.join(root, "link");
    fs.mkdirSync(path.join(root, "real"), { mode: 0o700 });
    fs.symlinkSync(path.join(root, "real"), link);
    expect((await checkPrivateDir("data-dir", "data dir", link))[0]).toMatchObject({ status: "fail", summary: expect.stringContaining("symlink") });
  });

  it.runIf(process.getuid?.() === 0)("fails a directory another user owns, saying whom to run as", async () => {
    const other = path.join(root, "other");
    fs.mkdirSync(other, { mode: 0o700 });
    fs.chownSync(other, 12345, 12345);
    expect((await checkPrivateDir("data-dir", "data dir", other))[0]).toMatchObject({ status: "fail", summary: expect.stringContaining("owned by uid 12345"), fix: expect.stringContaining("sudo -u holdfast") });
  });
});
