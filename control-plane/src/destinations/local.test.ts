import { mkdtemp, readdir, readFile, rm, symlink, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { localDestination } from "./local.js";

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
});
