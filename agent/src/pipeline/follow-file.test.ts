import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HoldfastError } from "@holdfast/shared";
import type { DumpHandle } from "../engines/types.js";
import { makeTempDir, ManualClock } from "../testing/helpers.js";
import { seqBytes, shellDump } from "../testing/shell-dump.js";
import { runPipeline } from "./run-pipeline.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("codec none: the dump tool writes the staged file itself, the agent hashes behind it", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("follow");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("stages exactly what the tool wrote, in pieces with pauses between them, with its hash and size", async () => {
    const seen: { handle?: DumpHandle } = {};
    const script = "seq 1 100000; sleep 0.1; seq 1 50000; sleep 0.1; seq 1 200000";
    const hashedSoFar: number[] = [];
    const a = await runPipeline({ dump: shellDump(script, seen), runDir: dir, runId: "run_n", clock: new ManualClock(), compression: { codec: "none", level: null }, extension: ".sql", onProgress: (b) => hashedSoFar.push(b) });
    const expected = Buffer.concat([seqBytes(100_000), seqBytes(50_000), seqBytes(200_000)]);
    expect(seen.handle!.direct).toBe(true);
    const file = fs.readFileSync(a.stagingPath);
    expect(file.equals(expected)).toBe(true);
    expect(a).toMatchObject({ sizeBytes: expected.length, rawSizeBytes: expected.length, sha256: sha(expected), fileName: "run_n.sql" });
    expect(fs.statSync(a.stagingPath).mode & 0o777).toBe(0o600);
    expect(hashedSoFar.length).toBeGreaterThan(0);
  });

  it("never stages a file the tool failed on after writing part of it", async () => {
    const err = (await runPipeline({ dump: shellDump("seq 1 100000; exit 4", {}), runDir: dir, runId: "run_x", clock: new ManualClock(), compression: { codec: "none", level: null }, extension: ".sql" }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ tool: "sh", exitCode: 4 });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("refuses a tool that exited 0 without writing a byte", async () => {
    const err = (await runPipeline({ dump: shellDump("true", {}), runDir: dir, runId: "run_z", clock: new ManualClock(), compression: { codec: "none", level: null }, extension: ".sql" }).catch((e: unknown) => e)) as HoldfastError;
    expect(err).toMatchObject({ code: "DUMP_FAILED", details: { rawSizeBytes: 0 } });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("splits a file the tool wrote into hashed parts, as the relayed path does", async () => {
    const a = await runPipeline({ dump: shellDump("seq 1 100000", {}), runDir: dir, runId: "run_s", clock: new ManualClock(), compression: { codec: "none", level: null }, extension: ".sql", partBytes: 200_000 });
    const file = fs.readFileSync(path.join(dir, "run_s.sql"));
    expect(a.parts!.map((p) => p.sha256)).toEqual(a.parts!.map((p) => sha(file.subarray(p.offset, p.offset + p.sizeBytes))));
    expect(a.parts!.reduce((n, p) => n + p.sizeBytes, 0)).toBe(file.length);
  });
});
