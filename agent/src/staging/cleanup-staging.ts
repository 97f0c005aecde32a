import fs from "node:fs";
import { HoldfastError, type CommandData } from "@holdfast/shared/protocol";
import { clearStagingPath } from "./staged-artifact.js";
import { requireRun } from "../queue/run-record.js";
import type { RunContext } from "../runs/context.js";
import { runDirOf } from "./run-folders.js";

/** Removes a run's staging dir once the control plane holds a verified copy. A running run is left alone. */
export function cleanupStaging(ctx: RunContext, runId: string): CommandData<"cleanupStaging"> {
  const run = requireRun(ctx.store, runId);
  if (run.state === "running") {
    throw new HoldfastError("BACKUP_ALREADY_RUNNING", `Run ${runId} is still running`, { runId });
  }
  const dir = runDirOf(ctx.stagingRoot, runId);
  const existed = fs.existsSync(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  clearStagingPath(ctx.store, runId);
  return { runId, removed: existed };
}
