import fs from "node:fs";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared/protocol";
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

/**
 * Removes one entry of the staging root without ever following a link: a run's own folder (a real
 * directory named like a run id) is removed recursively (fs.rm unlinks symlinks inside, never their
 * targets); anything else is left alone. Returns whether it removed something.
 */
export function removeRunFolder(stagingRoot: string, name: string): boolean {
  if (!SAFE_ID.test(name)) return false;
  const dir = path.join(stagingRoot, name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return false;
  }
  if (!st.isDirectory() || st.isSymbolicLink()) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}

/**
 * Removes what a crash can leave in the staging root: leftover write probes, and run folders for which
 * `isLive(runId)` is false. Returns the run ids whose folders went.
 */
export function removeOrphanFolders(stagingRoot: string, isLive: (runId: string) => boolean): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(stagingRoot);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (name.startsWith(".probe-")) {
      const p = path.join(stagingRoot, name);
      if (fs.lstatSync(p).isFile()) fs.rmSync(p, { force: true });
      continue;
    }
    if (!SAFE_ID.test(name) || isLive(name)) continue;
    if (removeRunFolder(stagingRoot, name)) removed.push(name);
  }
  return removed;
}
