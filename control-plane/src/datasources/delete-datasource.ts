import { HoldfastError } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import { getAgent } from "../agents/get-agent.js";
import type { AppContext } from "../context.js";
import { updateSchedule } from "../schedules/update-schedule.js";
import { connectedAgent } from "./connected-agent.js";
import { findDatasourceRow } from "./get-datasource.js";
import { serialized } from "./serialize.js";

type DeleteContext = Pick<AppContext, "database" | "clock" | "log" | "link">;

export interface RetiredDatasource {
  id: string;
  deletedAt: string;
  /** The schedules paused by the deletion (already paused ones are not listed). */
  pausedScheduleIds: string[];
}

/**
 * `DELETE /datasources/:id` retires the datasource, as a destination is retired: the agent deletes
 * its config and password first (refused while a run of it is queued or running: nothing changes
 * then), then the row gets `deletedAt` (gone from the list and GET, refused for new backups,
 * schedules and restores into it; its name is free again) and its schedules are paused. Its runs,
 * deliveries and backups stay: listed, downloadable, restorable into another datasource, and left
 * alone by retention. A revoked agent cannot be asked and holds nothing any more; an offline one
 * still holds the password, so the deletion waits for it.
 */
export async function deleteDatasource(ctx: DeleteContext, id: string): Promise<RetiredDatasource> {
  return serialized(`datasource:${id}`, async () => {
    const row = await findDatasourceRow(ctx, id);
    const agent = await getAgent(ctx, row.agentId);
    if (agent.status !== "revoked") {
      await connectedAgent(ctx, agent.id, `; it keeps the password of datasource ${id}: delete again once it is online, or revoke the agent first`);
      await ctx.link.sendCommand(agent.id, "deleteDatabaseConfig", { datasourceId: id }, { idempotencyKey: `retire-${id}` }).catch((err: unknown) => {
        // Deleted there already (a first try that stopped after the agent's part).
        if (!(err instanceof HoldfastError && err.code === "DATASOURCE_NOT_FOUND")) throw err;
      });
    }
    const { db, t } = ctx.database;
    const now = ctx.clock.now().getTime();
    const [retired] = await db
      .update(t.datasources)
      .set({ deletedAt: now })
      .where(and(eq(t.datasources.id, id), isNull(t.datasources.deletedAt)))
      .returning({ id: t.datasources.id });
    if (!retired) throw new HoldfastError("DATASOURCE_NOT_FOUND", `No datasource ${id}`, { datasourceId: id });
    const running = await db
      .select({ id: t.schedules.id })
      .from(t.schedules)
      .where(and(eq(t.schedules.datasourceId, id), isNull(t.schedules.deletedAt), eq(t.schedules.paused, false)));
    // Pausing also drops the firings still waiting for the agent.
    for (const s of running) await updateSchedule(ctx, s.id, { paused: true });
    ctx.log.info({ datasourceId: id, agentId: agent.id, pausedSchedules: running.length }, "datasource deleted (retired)");
    return { id, deletedAt: new Date(now).toISOString(), pausedScheduleIds: running.map((s) => s.id) };
  });
}
