import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveBackupOptions } from "@holdfast/shared";
import { writeStandInPgDump } from "../../testing/engines.js";
import { makeTempDir, PG } from "../../testing/helpers.js";
import { buildPgDumpArgs } from "./pg-dump-args.js";
import { installedPgMajors, pickPgMajor, resolvePgTools } from "./pg-tools.js";
import { PostgresEngine } from "./engine.js";
import { parseToolMajor } from "../tool-version.js";

describe("client tools chosen by the server's major", () => {
  let root: string;
  beforeEach(() => {
    root = makeTempDir("pgroot");
    for (const v of ["13.9", "16.4", "17.2"]) {
      const bin = path.join(root, v.split(".")[0]!, "bin");
      fs.mkdirSync(bin, { recursive: true });
      writeStandInPgDump(bin, { version: v, mode: "ok" });
    }
    fs.mkdirSync(path.join(root, "14", "bin"), { recursive: true }); // no pg_dump in it: not installed
    fs.mkdirSync(path.join(root, "common"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("finds the installed majors, newest first", () => {
    expect(installedPgMajors(root)).toEqual([17, 16, 13]);
    expect(installedPgMajors(path.join(root, "nowhere"))).toEqual([]);
  });

  it("picks the same major, else the newest above it, else none", () => {
    expect(pickPgMajor([17, 16, 13], 16)).toBe(16);
    expect(pickPgMajor([17, 16, 13], 15)).toBe(17);
    expect(pickPgMajor([17, 16, 13], 12)).toBe(17);
    expect(pickPgMajor([16, 13], 17)).toBeNull();
    expect(pickPgMajor([17, 16, 13], null)).toBe(17);
  });

  it("runs the matching stand-in, and reports a too-old one by its version (preflight refuses it)", async () => {
    const engine = new PostgresEngine({ pgBinRoot: root });
    expect(parseToolMajor(await engine.toolVersion(16))).toBe(16);
    expect(parseToolMajor(await engine.toolVersion(15))).toBe(17);
    expect(parseToolMajor(await engine.toolVersion(13))).toBe(13);
    // Server 18: nothing new enough; the newest (17) is reported, and 17 < 18 is TOOL_TOO_OLD in preflight.
    expect(parseToolMajor(await engine.toolVersion(18))).toBe(17);
    expect(resolvePgTools(root, 16).pgRestore).toBe(path.join(root, "16", "bin", "pg_restore"));
    expect(resolvePgTools(path.join(root, "nowhere"), 16).pgDump).toBe("pg_dump");
  });
});

describe("hostile table and schema patterns", () => {
  const corpus = ["$(id)", "`id`", "a;b", "x' --file=/tmp/y", "*.x\"y", "public.$(touch /tmp/pwned)"];

  it("each pattern is ONE argv element of the `--opt=value` form, byte for byte", () => {
    const options = resolveBackupOptions({ format: "custom", tables: { include: corpus, exclude: corpus }, schemas: { include: corpus } });
    const args = buildPgDumpArgs({ ...PG, database: "db" }, options);
    for (const p of corpus) {
      expect(args).toContain(`--table=${p}`);
      expect(args).toContain(`--exclude-table=${p}`);
      expect(args).toContain(`--schema=${p}`);
    }
    expect(args.filter((a) => !a.startsWith("--"))).toEqual([]);
  });

  it("refuses a leading '-', a NUL or a line break even past the schema", () => {
    for (const bad of ["-t", "a\nb", "a\u0000b"]) {
      const options = resolveBackupOptions({});
      options.tables.include.push(bad);
      expect(() => buildPgDumpArgs({ ...PG, database: "db" }, options)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    }
  });

  it("reaches the real tool exactly as given: the stand-in records its argv (no shell ever parses it)", async () => {
    const dir = makeTempDir("argv");
    try {
      const argvFile = path.join(dir, "argv");
      const bin = path.join(dir, "pg_dump");
      fs.writeFileSync(bin, `#!/bin/sh\nprintf '%s\\0' "$@" > ${JSON.stringify(argvFile)}\necho "-- dump"\n`, { mode: 0o755 });
      const engine = new PostgresEngine({ pgDumpPath: bin, tmpDir: dir });
      const handle = await engine.dump({ ...PG, database: "db" }, resolveBackupOptions({ tables: { include: corpus } }));
      handle.stdout.resume();
      await handle.done;
      const argv = fs.readFileSync(argvFile, "utf8").split("\0").slice(0, -1);
      expect(argv.filter((a) => a.startsWith("--table="))).toEqual(corpus.map((p) => `--table=${p}`));
      expect(fs.existsSync("/tmp/pwned")).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
