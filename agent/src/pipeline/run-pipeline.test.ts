import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import type { DumpHandle } from "../engines/types.js";
import { makeTempDir, ManualClock } from "../testing/helpers.js";
import { runPipeline } from "./run-pipeline.js";

function handleFrom(stdout: Readable, done: Promise<void>): DumpHandle & { aborted: boolean } {
  const h = {
    stdout,
    done,
    aborted: false,
    abort() {
      h.aborted = true;
      stdout.destroy();
      return true;
    },
  };
  return h;
}

describe("runPipeline", () => {
  let runDir: string;
  beforeEach(() => {
    runDir = makeTempDir("pipe");
  });
  afterEach(() => fs.rmSync(runDir, { recursive: true, force: true }));

  it("hashes each slice of a split artifact: the parts cover the stored file in order and each hash is of its own bytes", async () => {
    const raw = randomBytes(5 * 1000 + 123);
    for (const [chunks, partBytes] of [[[raw], 1000], [[raw.subarray(0, 999), raw.subarray(999, 2001), raw.subarray(2001)], 1000], [[raw], raw.length], [[raw], 7]] as const) {
      const dir = makeTempDir("parts");
      const artifact = await runPipeline({
        dump: handleFrom(Readable.from(chunks), Promise.resolve()),
        runDir: dir,
        runId: "run_p",
        clock: new ManualClock(),
        compression: { codec: "none", level: null },
        extension: ".sql",
        partBytes,
      });
      const file = fs.readFileSync(path.join(dir, "run_p.sql"));
      fs.rmSync(dir, { recursive: true, force: true });
      const parts = artifact.parts ?? [];
      expect(parts.length).toBe(Math.ceil(file.length / partBytes));
      let offset = 0;
      for (const [i, part] of parts.entries()) {
        expect(part).toMatchObject({ index: i + 1, offset });
        expect(part.sizeBytes).toBe(Math.min(partBytes, file.length - offset));
        expect(part.sha256).toBe(createHash("sha256").update(file.subarray(offset, offset + part.sizeBytes)).digest("hex"));
        offset += part.sizeBytes;
      }
      expect(offset).toBe(file.length);
    }
  });

  it("stages a gzip whose size and SHA-256 are what it reports, and which inflates to the dump", async () => {
    const raw = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(2 << 20, "a")]);
    const clock = new ManualClock();
    const progress: number[] = [];
    const artifact = await runPipeline({
      dump: handleFrom(Readable.from([raw.subarray(0, 1 << 20), raw.subarray(1 << 20)]), Promise.resolve()),
      runDir,
      runId: "run_1",
      clock,
      onProgress: (b) => progress.push(b),
    });
    const file = fs.readFileSync(path.join(runDir, "run_1.sql.gz"));
    expect(artifact.fileName).toBe("run_1.sql.gz");
    expect(artifact.sizeBytes).toBe(file.length);
    expect(artifact.sha256).toBe(createHash("sha256").update(file).digest("hex"));
    expect(artifact.rawSizeBytes).toBe(raw.length);
    expect(zlib.gunzipSync(file).equals(raw)).toBe(true);
    expect(fs.statSync(path.join(runDir, "run_1.sql.gz")).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(runDir)).toEqual(["run_1.sql.gz"]);
    // The clock did not move: several chunks, one progress report.
    expect(progress).toHaveLength(1);
  });

  it("reports progress again only once a second of the clock has passed", async () => {
    const clock = new ManualClock();
    const progress: number[] = [];
    const source = new PassThrough();
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    const p = runPipeline({ dump: handleFrom(source, done), runDir, runId: "run_p", clock, onProgress: (b) => progress.push(b) });
    const write = (n: number) => new Promise<void>((r) => source.write(Buffer.alloc(n), () => setImmediate(r)));
    await write(10);
    await write(10);
    // Under load the pipeline may start after the writes: move the clock only once it counted bytes.
    await vi.waitFor(() => expect(progress, "the pipeline's first progress report").not.toEqual([]), { timeout: 10_000, interval: 1 });
    clock.advance(1000);
    await write(10);
    source.end();
    release();
    await p;
    expect(progress).toEqual([10, 30]);
  });

  it("never commits an artifact when the dump tool fails, even after it wrote output", async () => {
    const failure = new HoldfastError("DUMP_FAILED", "pg_dump exited with code 1", { stderr: "boom" });
    const err = await runPipeline({
      dump: handleFrom(Readable.from([Buffer.from("CREATE TABLE half;")]), Promise.reject(failure)),
      runDir,
      runId: "run_2",
      clock: new ManualClock(),
    }).catch((e: unknown) => e);
    expect(err).toBe(failure);
    expect(fs.readdirSync(runDir)).toEqual([]);
  });

  it("stops the dump and reports STAGING_FAILED when the staging file cannot be written", async () => {
    fs.rmSync(runDir, { recursive: true });
    let finish!: () => void;
    const handle = handleFrom(new PassThrough(), new Promise<void>((r) => (finish = r)));
    handle.abort = () => {
      handle.aborted = true;
      finish();
      return true;
    };
    const err = (await runPipeline({ dump: handle, runDir, runId: "run_3", clock: new ManualClock() }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("STAGING_FAILED");
    expect(err.details).toEqual({ cause: "ENOENT" });
    expect(handle.aborted).toBe(true);
  });

  it("refuses to overwrite an existing partial file (O_EXCL)", async () => {
    fs.writeFileSync(path.join(runDir, "run_4.sql.gz.partial"), "planted");
    const err = (await runPipeline({ dump: handleFrom(Readable.from([]), Promise.resolve()), runDir, runId: "run_4", clock: new ManualClock() }).catch(
      (e: unknown) => e,
    )) as HoldfastError;
    expect(err.code).toBe("STAGING_FAILED");
    expect(fs.readFileSync(path.join(runDir, "run_4.sql.gz.partial"), "utf8")).toBe("planted");
  });
});
