import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../../testing/helpers.js";
import { checkEntryName, displayName } from "./entry-name.js";
import { createPathFilter } from "./path-filter.js";
import { walkFolder } from "./walk.js";

const tmp = makeTempDir("files-walk");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tree(root: string, files: Record<string, string | null>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    if (content === null) fs.mkdirSync(abs, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, content);
    }
  }
}

async function walk(root: string, include?: string[], exclude?: string[]) {
  const warnings: string[] = [];
  const seen: string[] = [];
  for await (const e of walkFolder(root, createPathFilter(include, exclude), (w) => warnings.push(w))) seen.push(`${e.kind[0]} ${e.rel}`);
  return { seen, warnings };
}

describe("walkFolder with include/exclude", () => {
  const root = path.join(tmp, "tree");
  tree(root, {
    "b.txt": "b", "a.tmp": "a", ".hidden": "h", "Z.txt": "z",
    "skip/x.txt": "x", "skip/deep/y.txt": "y",
    "keep/skip/z.txt": "z", "keep/n.tmp": "n", "keep/m.txt": "m",
    "empty": null, "data/empty": null, "data/d.bin": "d",
  });

  it("walks depth first, names in byte order, directories before their contents", async () => {
    expect((await walk(root)).seen).toEqual([
      "f .hidden", "f Z.txt", "f a.tmp", "f b.txt",
      "d data", "f data/d.bin", "d data/empty", "d empty",
      "d keep", "f keep/m.txt", "f keep/n.tmp", "d keep/skip", "f keep/skip/z.txt",
      "d skip", "d skip/deep", "f skip/deep/y.txt", "f skip/x.txt",
    ]);
  });

  it("exclude: `skip/**` drops the folder and is anchored, `*.tmp` matches at any depth", async () => {
    expect((await walk(root, undefined, ["skip/**", "*.tmp"])).seen).toEqual([
      "f .hidden", "f Z.txt", "f b.txt", "d data", "f data/d.bin", "d data/empty", "d empty",
      "d keep", "f keep/m.txt", "d keep/skip", "f keep/skip/z.txt",
    ]);
  });

  it("include: only matches and what lies under an included folder, with the folders on the way; exclude still wins", async () => {
    expect((await walk(root, ["*.txt"], ["keep/skip/**"])).seen).toEqual(["f Z.txt", "f b.txt", "d keep", "f keep/m.txt", "d skip", "d skip/deep", "f skip/deep/y.txt", "f skip/x.txt"]);
    expect((await walk(root, ["data"])).seen).toEqual(["d data", "f data/d.bin", "d data/empty"]);
  });

  it("does not descend an excluded folder (an unreadable one there is never touched)", async () => {
    const r = path.join(tmp, "no-descend");
    tree(r, { "ok.txt": "1", "skip/inner.txt": "2" });
    const seen: string[] = [];
    const original = fs.promises.readdir;
    const spy = async (...args: Parameters<typeof original>) => {
      seen.push(String(args[0]));
      return original(...args);
    };
    (fs.promises as { readdir: unknown }).readdir = spy;
    try {
      expect((await walk(r, undefined, ["skip/**"])).seen).toEqual(["f ok.txt"]);
    } finally {
      (fs.promises as { readdir: unknown }).readdir = original;
    }
    expect(seen).toEqual([r]);
  });

  it("never follows symlinks, and skips sockets and FIFOs with a warning", async () => {
    const r = path.join(tmp, "special");
    tree(r, { "real/f.txt": "f" });
    fs.symlinkSync("real", path.join(r, "dir-link"));
    fs.symlinkSync("/etc/passwd", path.join(r, "out-link"));
    execFileSync("mkfifo", [path.join(r, "fifo")]);
    const server = net.createServer().listen(path.join(r, "sock"));
    await new Promise((res) => server.once("listening", res));
    try {
      const { seen, warnings } = await walk(r);
      expect(seen).toEqual(["s dir-link", "s out-link", "d real", "f real/f.txt"]);
      expect(warnings).toEqual(["skipped fifo: a FIFO", "skipped sock: a socket"]);
    } finally {
      server.close();
    }
  });

  it("skips a name that is not valid UTF-8 with a warning showing its bytes", async () => {
    const r = path.join(tmp, "latin1");
    fs.mkdirSync(r);
    fs.writeFileSync(Buffer.from(path.join(r, "caf") + "\xe9.txt", "latin1"), "x");
    fs.writeFileSync(path.join(r, "ok.txt"), "y");
    const { seen, warnings } = await walk(r);
    expect(seen).toEqual(["f ok.txt"]);
    expect(warnings).toEqual(["skipped <0x636166e92e747874>: the name is not valid UTF-8"]);
  });
});

describe("entry names", () => {
  it("refuses absolute, climbing, NUL and empty names; accepts ./ prefixes and trailing slashes", () => {
    for (const bad of ["/etc/passwd", "../x", "a/../../x", "a/..", "x\0y", "", "./", "//"]) expect(checkEntryName(bad).ok, JSON.stringify(bad)).toBe(false);
    expect(checkEntryName("./a/b/")).toEqual({ ok: true, parts: ["a", "b"] });
    expect(checkEntryName("a..b/..c")).toEqual({ ok: true, parts: ["a..b", "..c"] });
  });

  it("shows a hostile name escaped and cut", () => {
    expect(displayName("a\nb\x1b[31m\\c")).toBe("a\\x0ab\\x1b[31m\\\\c");
    expect(displayName("x".repeat(500))).toBe(`${"x".repeat(200)}…`);
  });
});
