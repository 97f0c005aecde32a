// What a crash scenario checks once the killed process is back: each check answers the problems a
// user would notice, as sentences, so a repetition's failures name what went wrong.
import { readFileSync } from "node:fs";
import path from "node:path";
import { createScratchDatabase, snapshotTables, type ScratchDatabase } from "../../support/postgres.js";
import { waitFor } from "../../support/processes.js";
import { restorePlainGzip, sha256File } from "../../support/restore.js";
import { filesUnder, type FaultRig, waitSettled } from "./rig.js";

/** How long leftovers may take to go once a run settled: the clean-up after a pull is a command away. */
const CLEANUP_BOUND_MS = 30_000;

/** A settled run, or the problem that it stayed in a non-final state past `timeoutMs`. */
export async function settledOrStuck(rig: FaultRig, runId: string, timeoutMs = 180_000): Promise<{ run: any | null; problems: string[] }> {
  try {
    return { run: await waitSettled(rig.client, runId, timeoutMs), problems: [] };
  } catch {
    const now = await rig.client.get(`/runs/${runId}`);
    return { run: null, problems: [`run ${runId} stuck ${now.body?.state} (deliveries ${JSON.stringify(now.body?.deliveries?.map((d: any) => d.state))}) after ${timeoutMs / 1000} s`] };
  }
}

/** A completed backup: every delivery completed, each delivered file whole (its SHA-256 read again at the destination). */
export async function deliveryProblems(run: any): Promise<string[]> {
  if (run.state !== "completed") return [];
  const problems: string[] = [];
  for (const d of run.deliveries) {
    if (d.state !== "completed") {
      problems.push(`run ${run.runId}'s delivery ended ${d.state} (${d.error?.code ?? "no error"})`);
      continue;
    }
    const sha = await sha256File(d.path).catch(() => "absent");
    if (sha !== run.sha256) problems.push(`run ${run.runId} completed but its delivered file is ${sha === "absent" ? "absent" : "short or different"} (${d.path})`);
  }
  return problems;
}

/** Files still under `dir` after CLEANUP_BOUND_MS (staging, spool): none may stay once every run settled. */
export async function leftovers(dir: string, what: string): Promise<string[]> {
  const left = await waitFor(`${what} to empty`, () => (filesUnder(dir).length === 0 ? [] : undefined), CLEANUP_BOUND_MS).catch(() => filesUnder(dir));
  return left.length === 0 ? [] : [`left in ${what}: ${left.slice(0, 5).join(", ")}${left.length > 5 ? ` and ${left.length - 5} more` : ""}`];
}

/** The run as the user sees its end: `completed`, `failed AGENT_RESTARTED`, `completed, delivery retried`... */
export function outcomeOf(run: any | null): string {
  if (!run) return "stuck";
  if (run.state !== "completed") return `${run.state} ${run.error?.code ?? ""}`.trim();
  const attempts = Math.max(...run.deliveries.map((d: any) => d.attempts ?? 1));
  return attempts > 1 ? "completed, delivered after a retry" : "completed";
}

/** Files in the destination folder that no completed delivery recorded (a partial `.holdfast-tmp` write). */
export async function strayDestinationFiles(rig: FaultRig): Promise<string[]> {
  const res = await rig.client.get(`/runs?kind=backup&limit=100`);
  const recorded = new Set<string>();
  for (const item of res.body?.items ?? []) {
    const run = (await rig.client.get(`/runs/${item.runId}`)).body;
    for (const d of run.deliveries ?? []) if (d.state === "completed" && d.path) recorded.add(path.resolve(d.path));
  }
  // A delivered file's `.json` record beside it is part of the delivery.
  const stray = filesUnder(rig.destination).filter((f) => !recorded.has(path.resolve(rig.destination, f).replace(/\.json$/, "")));
  return stray.length ? [`files in the destination no delivery recorded: ${stray.slice(0, 5).join(", ")}`] : [];
}

/** pg_dump starts (the stand-in root's `starts` file) against the backup runs the control plane has for the datasource. */
export function dumpStarts(root: string): number {
  return readFileSync(path.join(root, "starts"), "utf8").split("\n").filter(Boolean).length;
}

export async function backupRunIds(rig: FaultRig, datasourceId: string): Promise<string[]> {
  const res = await rig.client.get(`/runs?datasourceId=${datasourceId}&kind=backup&limit=100`);
  return (res.body?.items ?? []).map((r: { runId: string }) => r.runId);
}

/** The newest completed backup of the datasource, restored by hand (gunzip | psql) into a fresh database, equal to the source. */
export async function restoreProblems(rig: FaultRig, datasourceId: string, sourceUrl: string): Promise<string[]> {
  const res = await rig.client.get(`/runs?datasourceId=${datasourceId}&kind=backup&state=completed&limit=1`);
  const newest = res.body?.items?.[0];
  if (!newest) return ["no completed backup to restore"];
  const run = (await rig.client.get(`/runs/${newest.runId}`)).body;
  const delivered = run.deliveries.find((d: any) => d.state === "completed");
  if (!delivered) return [`run ${run.runId} has no completed delivery to restore`];
  let target: ScratchDatabase | undefined;
  try {
    target = await createScratchDatabase("flt_restore");
    await restorePlainGzip(delivered.path, target.name);
    const [before, after] = await Promise.all([snapshotTables(sourceUrl), snapshotTables(target.url)]);
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [`restore of run ${run.runId} differs from the source`];
  } catch (err) {
    return [`restore of run ${run.runId} failed: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    await target?.drop();
  }
}
