import { type DestinationType, healthResultOf } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { GB, usedBytes } from "../deliveries/quota.js";
import { type DestinationRow, fullConfig, recordDeletePermission } from "../destinations/destination-rows.js";
import { openDestination } from "../destinations/open-destination.js";
import { KEPT_PROBE_NAME } from "../destinations/probe.js";
import { notify } from "../notifications/notify.js";
import { withinBound } from "./bounded.js";
import { type CheckOutcome, failedOutcome, recentChecks, recordCheck } from "./health-records.js";

export type ProbeContext = Pick<AppContext, "database" | "clock" | "log" | "notifications" | "env" | "secrets">;

/** Whether a destination is short of room: free space under the floor, or Holdfast's bytes past the quota's fraction. */
export function nearlyFull(env: Pick<AppContext["env"], "destinationMinFreeBytes" | "destinationFullFraction">, freeBytes: number | null, used: number, maxSizeGb: number | null): string | null {
  if (freeBytes !== null && freeBytes < env.destinationMinFreeBytes) return `${freeBytes} bytes free, under the ${env.destinationMinFreeBytes} bytes floor`;
  if (maxSizeGb !== null && used >= env.destinationFullFraction * maxSizeGb * GB) return `${used} bytes used of its ${maxSizeGb} GB quota`;
  return null;
}

/**
 * The destination's own `test()`: writes, reads back and deletes a small probe object, then reads the
 * free space. Heavier than a `stat`, but it is the one check that fails for each way a destination
 * breaks (a folder replaced or read-only, revoked write access, wrong credentials) the same on every
 * type, and a local folder's runs in a child process that is killed when the folder hangs.
 */
async function probe(ctx: ProbeContext, row: DestinationRow): Promise<CheckOutcome> {
  try {
    const dest = openDestination(row.type as DestinationType, fullConfig(ctx.secrets, row), ctx.env);
    const started = performance.now();
    // Credentials that cannot delete leave each probe behind: one fixed name, overwritten each time.
    const probeName = row.deleteDeniedAt !== null ? KEPT_PROBE_NAME : undefined;
    const answer = await withinBound(ctx.clock, ctx.env.healthTimeoutMs, dest.test(probeName ? { probeName } : {}));
    if (answer === "timeout") return { result: "timeout", error: { code: "DESTINATION_UNREACHABLE", message: `The probe did not finish within ${ctx.env.healthTimeoutMs} ms` } };
    await recordDeletePermission(ctx, row.id, answer.canDelete);
    return { result: "ok", latencyMs: Math.round((performance.now() - started) * 10) / 10, freeBytes: answer.freeSpaceBytes };
  } catch (err) {
    return failedOutcome(err, healthResultOf);
  }
}

/**
 * One probe of a destination, recorded. A failed probe raises "destination unreachable" at once (a
 * delivery to it would fail now); the first success after it sends "destination recovered". Room is
 * judged on each successful probe: "destination nearly full" while short, recovered once not.
 */
export async function probeStoredDestination(ctx: ProbeContext, row: DestinationRow): Promise<CheckOutcome> {
  const outcome = await probe(ctx, row);
  await recordCheck(ctx, row.id, outcome);
  const subject = { destinationId: row.id };
  const reach = `destination-reach:${row.id}`;
  const space = `destination-space:${row.id}`;
  if (outcome.result !== "ok") {
    await notify(ctx, {
      kind: "destination.unreachable",
      subject,
      conditionKey: reach,
      title: `Destination ${row.name} is unreachable`,
      text: `Probing ${row.name} failed: ${outcome.result}: ${outcome.error?.message ?? ""} (${outcome.error?.code ?? "?"}). Deliveries to it will fail until it is fixed.`,
    });
    return outcome;
  }
  const previous = (await recentChecks(ctx, row.id, 2))[1];
  if (previous && previous.result !== "ok") {
    await notify(ctx, { kind: "destination.recovered", subject, conditionKey: reach, title: `Destination ${row.name} is reachable again`, text: `A probe of ${row.name} wrote, read back and deleted its object.` });
  }
  const short = nearlyFull(ctx.env, outcome.freeBytes ?? null, await usedBytes(ctx, row.id), row.maxSizeGb ?? null);
  if (short) {
    await notify(ctx, { kind: "destination.nearlyFull", subject, conditionKey: space, title: `Destination ${row.name} is nearly full`, text: `${row.name}: ${short}. Free some room, lower retention, or raise its quota.` });
  } else {
    await notify(ctx, { kind: "destination.recovered", subject, conditionKey: space, title: `Destination ${row.name} has room again`, text: `${row.name} is no longer short of room.` });
  }
  return outcome;
}
