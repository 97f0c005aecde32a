import type { CommandData } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { getDatasource } from "./get-datasource.js";

/** Asks the datasource's agent to connect to the database; the agent's failure is relayed as is. */
export async function testDatasource(ctx: AppContext, datasourceId: string): Promise<CommandData<"testDatabaseConnection">> {
  const ds = await getDatasource(ctx, datasourceId);
  return ctx.link.sendCommand(ds.agentId, "testDatabaseConnection", { datasourceId: ds.id });
}
