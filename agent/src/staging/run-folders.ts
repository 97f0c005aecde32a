import fs from "node:fs";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { ensurePrivateDir, SAFE_ID } from "../fs-safe.js";

/** `<tmp>/holdfast-staging-<agentId>`: one private root per agent, so two agents on a host never mix files. */
export function stagingRootFor(tmpDir: string, agentId: string): string {
  if (!SAFE_ID.test(agentId)) throw new HoldfastError("VALIDATION_FAILED", "agentId is not a safe path segment");
  return path.join(tmpDir, `holdfast-staging-${agentId}`);
}

/** Run ids come from the control plane; only a safe alphabet may become a directory name. */
export function assertSafeRunId(runId: string): void {
  if (!SAFE_ID.test(runId)) {
    throw new HoldfastError("VALIDATION_FAILED", "runId may only contain letters, digits, '_' and '-'", { runId: runId.slice(0, 128) });
  }
}

export function runDirOf(stagingRoot: string, runId: string): string {
  assertSafeRunId(runId);
  return path.join(stagingRoot, runId);
}

/** A fresh 0700 dir for one run inside the 0700 root; an existing one is refused, never reused. */
export function createRunDir(stagingRoot: string, runId: string): string {
  ensurePrivateDir(stagingRoot);
  const dir = runDirOf(stagingRoot, runId);
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}
