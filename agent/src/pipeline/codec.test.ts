import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { artifactKindOf, type HoldfastError } from "@holdfast/shared";
import type { DumpHandle } from "../engines/types.js";
import { makeTempDir, ManualClock } from "../testing/helpers.js";
import { pipelineWithKilledChild } from "../testing/killed-child.js";
import { artifactExtension } from "./codec.js";
import { runPipeline } from "./run-pipeline.js";

function handleOf(stdout: Readable, done: Promise<void> = Promise.resolve()): DumpHandle {
  return { stdout, done, abort: () => (stdout.destroy(), true) };
}

describe("codecs in the pipeline", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("codec");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("names artifacts by format and codec", () => {
    expect(artifactExtension("plain", "gzip")).toBe(".sql.gz");
    expect(artifactExtension("plain", "zstd")).toBe(".sql.zst");
    expect(artifactExtension("custom", "none")).toBe(".dump");
    expect(artifactExtension("custom", "gzip")).toBe(".dump.gz");
    expect(artifactExtension("directory", "gzip")).toBe(".dir.tar.gz");
    expect(artifactExtension("directory", "none")).toBe(".dir.tar");
    expect(artifactExtension("tar", "none")).toBe(".tar");
    expect(artifactKindOf("run_1.tar.gz")).toEqual({ format: "tar", codec: "gzip", encrypted: false });
    expect(artifactKindOf("run_1.sqlite.zst")).toEqual({ format: "sqlite", codec: "zstd", encrypted: false });
    expect(artifactKindOf("run_1.sql.gz")).toEqual({ format: "plain", codec: "gzip", encrypted: false });
    expect(artifactKindOf("run_1.dump")).toEqual({ format: "custom", codec: "none", encrypted: false });
    expect(artifactKindOf("run_1.dir.tar.zst")).toEqual({ format: "directory", codec: "zstd", encrypted: false });
    expect(artifactKindOf("run_1.txt")).toBeNull();
  });

  it.each([
    ["gzip", 1],
    ["gzip", 9],
    ["zstd", 3],
    ["zstd", 19],
    ["none", null],
  ] as const)("%s level %s stages bytes that decode to the dump", async (codec, level) => {
    const raw = Buffer.from("INSERT INTO t VALUES (42);\n".repeat(50_000));
    const a = await runPipeline({
      dump: handleOf(Readable.from([raw.subarray(0, 1 << 19), raw.subarray(1 << 19)])),
      runDir: dir,
      runId: "run_c",
      clock: new ManualClock(),
      compression: { codec, level },
      extension: artifactExtension("plain", codec),
    });
    const file = fs.readFileSync(a.stagingPath);
    const decoded = codec === "gzip" ? zlib.gunzipSync(file) : codec === "zstd" ? execFileSync("zstd", ["-d", "-c", "-q"], { input: file, maxBuffer: 64 << 20 }) : file;
    expect(decoded.equals(raw)).toBe(true);
    expect(a.rawSizeBytes).toBe(raw.length);
    if (codec !== "none") expect(a.sizeBytes).toBeLessThan(raw.length / 10);
  });

  it("fails the run when the zstd child is killed mid-stream, and leaves no file (pipefail)", async () => {
    const { err, left } = await pipelineWithKilledChild(dir, "zstd", { compression: { codec: "zstd", level: 3 }, extension: ".sql.zst" });
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ tool: "zstd", signal: "SIGKILL" });
    expect(left).toEqual([]);
  });

  it("fails TOOL_NOT_FOUND when zstd is asked for and absent", async () => {
    const err = (await runPipeline({
      dump: handleOf(Readable.from([Buffer.from("x")])),
      runDir: dir,
      runId: "run_m",
      clock: new ManualClock(),
      compression: { codec: "zstd", level: 3 },
      tools: { zstdPath: path.join(dir, "no-such-zstd") },
    }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("TOOL_NOT_FOUND");
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("refuses a dump that exits 0 without writing a byte (DUMP_FAILED, nothing staged)", async () => {
    const err = (await runPipeline({ dump: handleOf(Readable.from([])), runDir: dir, runId: "run_0", clock: new ManualClock() }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toEqual({ rawSizeBytes: 0 });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
