import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import type { HoldfastError } from "@holdfast/shared/protocol";
import { runPipeline, type RunPipelineOptions } from "../pipeline/run-pipeline.js";
import { ManualClock, pidFrom } from "./helpers.js";

/**
 * Runs the pipeline with `tool` replaced by a stand-in that records its pid when it works (not for
 * `--version` or a probe) and then execs the real tool; SIGKILLs it after the first MiB while the dump keeps
 * writing, as a live pg_dump would. Returns the run's error and what is left in its run dir.
 */
export async function pipelineWithKilledChild(
  dir: string,
  tool: "zstd" | "age",
  opts: Pick<RunPipelineOptions, "compression" | "extension" | "encryption">,
): Promise<{ err: HoldfastError; left: string[] }> {
  const pidFile = path.join(dir, `${tool}.pid`);
  const standIn = path.join(dir, `${tool}-stand-in`);
  // Only the working call records its pid: not `--version`, nor zstd's probe of its summary (no -T0).
  const working = tool === "zstd" ? `*" -T0 "*` : `*" -e "*`;
  fs.writeFileSync(standIn, `#!/bin/sh\ncase " $* " in ${working}) echo $$ > ${JSON.stringify(pidFile)} ;; esac\nexec ${tool} "$@"\n`, { mode: 0o755 });
  const source = new PassThrough();
  const runDir = path.join(dir, "run");
  fs.mkdirSync(runDir);
  const p = runPipeline({
    dump: { stdout: source, done: Promise.resolve(), abort: () => (source.destroy(), true) },
    runDir,
    runId: "run_k",
    clock: new ManualClock(),
    ...opts,
    tools: tool === "zstd" ? { zstdPath: standIn } : { agePath: standIn },
  });
  source.write(Buffer.alloc(1 << 20, "a"));
  process.kill(await pidFrom(pidFile), "SIGKILL");
  const writer = setInterval(() => source.writable && source.write(Buffer.alloc(1 << 16, "b")), 5);
  const err = (await p.catch((e: unknown) => e)) as HoldfastError;
  clearInterval(writer);
  return { err, left: fs.readdirSync(runDir) };
}
