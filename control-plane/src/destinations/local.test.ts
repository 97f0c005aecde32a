import { mkdtemp, readdir, readFile, rm, symlink, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { destinationContract } from "../testing/destination-contract.js";
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
