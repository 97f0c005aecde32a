import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { HoldfastError } from "@holdfast/shared";

/** Starting Node itself is not the folder's fault, but it is bounded too. */
export const STARTUP_MS = 30_000;

/** Children still running, killed if the control plane exits: one blocked on a dead mount would outlive it. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

let spawned = 0;
/** How many children were started so far (tests: which calls start none). */
export const spawnCount = (): number => spawned;

/** The child's command line: the built JS beside this file, or the TypeScript source through tsx (tests). */
function childArgs(file: string, args: string[]): string[] {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return [fileURLToPath(new URL(`./${file}.js`, self)), ...args];
  const tsx = pathToFileURL(createRequire(self).resolve("tsx")).href;
  return ["--conditions=@holdfast/source", "--import", tsx, fileURLToPath(new URL(`./${file}.ts`, self)), ...args];
}

/**
 * A child process of the local destination (`local-child` for one streamed operation,
 * `local-worker-main` for the folder's small ones), tracked until its pipes closed.
 */
export function spawnLocal(file: "local-child" | "local-worker-main", args: string[], stdio: StdioOptions): ChildProcess {
  const child = spawn(process.execPath, childArgs(file, args), {
    stdio,
    serialization: "advanced",
    // Nothing of ours (NODE_OPTIONS included) is the child's business.
    env: process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {},
  });
  spawned++;
  live.add(child);
  child.once("close", () => live.delete(child));
  return child;
}

/** What a caller gets when the folder stayed silent past its bound and the process was killed. */
export function silentFolder(root: string, kind: string, timeoutMs: number): HoldfastError {
  return new HoldfastError("DESTINATION_UNREACHABLE", `The folder ${root} did not answer for ${timeoutMs / 1000} s (${kind}); the operation was stopped`, {
    reason: `no answer within ${timeoutMs} ms`,
    operation: kind,
  });
}

/** What a caller gets when the process ended by itself before answering (a crash, a signal not ours). */
export function processEnded(code: number | null, signal: NodeJS.Signals | null, stderr: string): HoldfastError {
  const lastLine = stderr.trim().split("\n").pop() ?? "";
  return new HoldfastError("DELIVERY_FAILED", `The local destination's process ended with ${signal ?? `exit code ${code}`}`, { reason: lastLine });
}

/** The spawn itself failed (no memory, no process slot): reported on the child's `error` event. */
export function notStarted(err: Error): HoldfastError {
  return new HoldfastError("INTERNAL_ERROR", `Could not start the local destination's process: ${err.message}`, undefined, true);
}
