import { execFileSync } from "node:child_process";
import { HoldfastError } from "@holdfast/shared/protocol";
import { startDump } from "../engines/dump-handle.js";
import { toolEnv } from "../engines/spawn-tool.js";
import type { DumpHandle, DumpSink } from "../engines/types.js";

/** Test-only. A dump whose one tool is `sh -c script`, writing into `stdoutTo` directly when it is given. */
export function shellDump(script: string, seen: { handle?: DumpHandle }) {
  return async (stdoutTo?: DumpSink) =>
    (seen.handle = startDump(
      {
        direct: true,
        produce: async (run) => {
          await run.tool({
            name: "sh",
            bin: "sh",
            args: ["-c", script],
            env: toolEnv(),
            toOut: true,
            failure: (exit) => new HoldfastError("DUMP_FAILED", `sh exited with code ${exit.code}`, { tool: "sh", exitCode: exit.code, signal: exit.signal }),
            warnings: () => [],
          });
        },
      },
      stdoutTo,
    ));
}

/** Test-only: what `seq 1 n` writes. */
export const seqBytes = (n: number) => execFileSync("seq", ["1", String(n)], { maxBuffer: 64 << 20 });
