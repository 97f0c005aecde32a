import { assertOptionsFitDatasource, type BackupOptions, type CreateScheduleBody, DEFAULT_BLACKOUT_MISFIRE, newId } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { compileCron } from "./cron.js";
import { assertDestinationsExist, usableDatasource } from "./check-targets.js";
import { findSchedule, type ScheduleView, toView } from "./schedule-rows.js";

/**
 * `verify` lives on the schedule, not in its options: one switch, which each run's options carry
 * as `verify: true` (schedule-rows.ts#runOptionsOf). An `options.verify` sent anyway sets it.
 */
export function splitVerify(options: BackupOptions | undefined, verify: boolean | undefined): { options: BackupOptions | undefined; verify: boolean | undefined } {
  if (!options || options.verify === undefined) return { options, verify };
  const { verify: inOptions, ...rest } = options;
  return { options: Object.keys(rest).length > 0 ? rest : undefined, verify: verify ?? inOptions };
}

/**
 * Creates a schedule after checking everything it will need at fire time, so a schedule that could
 * never run is refused now and nothing is stored: the cron and zone (400 naming the field), the
 * datasource (404) and its agent (403 AGENT_REVOKED), each destination (404), the options against
 * the engine (400). It starts counting from now: a new schedule never fires for its past.
 */
export async function createSchedule(ctx: DbContext, body: CreateScheduleBody): Promise<ScheduleView> {
  compileCron(body.cron, body.timezone);
  const datasource = await usableDatasource(ctx, body.datasourceId);
  const { options, verify } = splitVerify(body.options, body.verify);
  // With the drill it asks for: a whole server takes none (shared backup-options.ts).
  assertOptionsFitDatasource(datasource.engine, datasource.connection, verify ? { ...options, verify } : options);
  await assertDestinationsExist(ctx, body.destinationIds);

  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const [row] = await db
    .insert(t.schedules)
    .values({
      id: newId("sch"),
      datasourceId: datasource.id,
      name: body.name ?? `${datasource.name} ${body.cron}`,
      cron: body.cron,
      timezone: body.timezone,
      destinationIds: JSON.stringify([...new Set(body.destinationIds)]),
      options: options ? JSON.stringify(options) : null,
      retention: body.retention ? JSON.stringify(body.retention) : null,
      retry: body.retry ? JSON.stringify(body.retry) : null,
      verify: verify ?? false,
      paused: body.paused ?? false,
      blackout: body.blackout?.length ? JSON.stringify(body.blackout) : null,
      blackoutMisfire: body.blackoutMisfire ?? DEFAULT_BLACKOUT_MISFIRE,
      fireCursor: now,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toView(await findSchedule(ctx, row!.id), ctx.clock.now());
}
