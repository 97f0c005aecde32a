import { consecutiveFailures, HEALTH_FAILURES_TO_ALERT, healthResultOf } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { notify } from "../notifications/notify.js";
import { withinBound } from "./bounded.js";
import { type CheckOutcome, failedOutcome, recentChecks, recordCheck } from "./health-records.js";

export type HealthContext = Pick<AppContext, "database" | "clock" | "log" | "link" | "notifications" | "env">;

/**
 * Asks the datasource's agent to connect (`testDatabaseConnection`, the command behind
 * `POST /datasources/:id/test`: latency, server version, database size), within the check's bound.
 * An agent that is not connected makes the check `unreachable` (backups of it cannot run either); no
 * answer within the bound is `timeout`.
 */
async function askAgent(ctx: HealthContext, ds: { id: string; agentId: string }): Promise<CheckOutcome> {
  try {
    const answer = await withinBound(ctx.clock, ctx.env.healthTimeoutMs, ctx.link.sendCommand(ds.agentId, "testDatabaseConnection", { datasourceId: ds.id }));
    if (answer === "timeout") return { result: "timeout", error: { code: "AGENT_TIMEOUT", message: `No answer from the agent within ${ctx.env.healthTimeoutMs} ms` } };
    return { result: "ok", latencyMs: answer.latencyMs, serverVersion: answer.serverVersion, sizeBytes: answer.databaseSizeBytes };
  } catch (err) {
    return failedOutcome(err, healthResultOf);
  }
}

/**
 * One health check of a datasource, recorded. The third failure in a row raises "datasource
 * unhealthy" (later ones are collapsed by its open condition); the first success after failures
 * closes it with "datasource recovered", sent only if the alert was.
 */
export async function checkDatasource(ctx: HealthContext, ds: { id: string; agentId: string; name: string }): Promise<CheckOutcome> {
  const outcome = await askAgent(ctx, ds);
  await recordCheck(ctx, ds.id, outcome);
  const recent = await recentChecks(ctx, ds.id, HEALTH_FAILURES_TO_ALERT + 1);
  const failures = consecutiveFailures(recent);
  const conditionKey = `datasource-health:${ds.id}`;
  if (failures >= HEALTH_FAILURES_TO_ALERT) {
    const why = outcome.error ? `${outcome.error.message} (${outcome.error.code})` : outcome.result;
    await notify(ctx, {
      kind: "datasource.unhealthy",
      subject: { datasourceId: ds.id, agentId: ds.agentId },
      conditionKey,
      title: `Datasource ${ds.name} is unhealthy`,
      text: `${failures} health checks of ${ds.name} in a row failed; the last one: ${outcome.result}: ${why}. Its backups are likely to fail until it is fixed.`,
    });
  } else if (failures === 0 && recent[1] !== undefined && recent[1].result !== "ok") {
    await notify(ctx, {
      kind: "datasource.recovered",
      subject: { datasourceId: ds.id, agentId: ds.agentId },
      conditionKey,
      title: `Datasource ${ds.name} is healthy again`,
      text: `A health check of ${ds.name} succeeded (${outcome.latencyMs ?? "?"} ms, ${outcome.serverVersion ?? "unknown version"}).`,
    });
  }
  return outcome;
}
