import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { makeTempDir } from "../../testing/helpers.js";
import { psqlSupportsRestrict } from "./restore.js";
import { PsqlGuard } from "./psql-guard.js";

const DUMP = [
  "--",
  "\\restrict abc123",
  "SET x = 1;",
  "COPY public.t (a, b) FROM stdin;",
  "\\N\tfoo",
  "\\restrict looks-like-data",
  "\\.",
  "SELECT 1;",
  "\\unrestrict abc123",
  "",
].join("\n");

/** Feeds the text one byte at a time too, so lines split across chunks are handled. */
async function through(guard: PsqlGuard, text: string, bytewise = false): Promise<string> {
  const src = bytewise ? Readable.from([...Buffer.from(text)].map((b) => Buffer.from([b]))) : Readable.from([Buffer.from(text)]);
  return (await buffer(src.pipe(guard))).toString("utf8");
}

describe("PsqlGuard", () => {
  it("starts with our \\restrict, drops the dump's own restrict lines, leaves COPY data alone", async () => {
    for (const bytewise of [false, true]) {
      const out = await through(new PsqlGuard("k".repeat(48)), DUMP, bytewise);
      expect(out.startsWith(`\\restrict ${"k".repeat(48)}\n`)).toBe(true);
      expect(out).not.toContain("abc123");
      expect(out).toContain("\\N\tfoo\n\\restrict looks-like-data\n\\.\n");
      expect(out.trimEnd().endsWith(`\\unrestrict ${"k".repeat(48)}`)).toBe(true);
    }
  });

  it("without \\restrict support, refuses any other meta-command outside COPY data", async () => {
    expect(await through(new PsqlGuard(null), DUMP)).toBe(DUMP.replace("\\restrict abc123\n", "").replace("\\unrestrict abc123\n", ""));
    for (const evil of ["\\! id", "\\copy t from program 'id'", "\\connect other", "\\o /tmp/x"]) {
      const err = await through(new PsqlGuard(null), `SELECT 1;\n${evil}\n`).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "restore", line: 2 } });
    }
  });

  it("tells a psql with \\restrict from one without (by its --help=commands)", async () => {
    expect(await psqlSupportsRestrict("psql")).toBe(true);
    const dir = makeTempDir("oldpsql");
    try {
      const old = path.join(dir, "psql");
      fs.writeFileSync(old, "#!/bin/sh\necho '  \\\\connect DBNAME   connect to new database'\n", { mode: 0o755 });
      expect(await psqlSupportsRestrict(old)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
