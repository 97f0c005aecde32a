import type { CommandData } from "@holdfast/shared";
import { askAgent } from "../agents/ask-agent.js";
import type { AppContext } from "../context.js";
import { getDatasource } from "./get-datasource.js";

/** The databases the datasource's credentials can see on its server, as its agent lists them. */
export async function listDatabases(ctx: AppContext, datasourceId: string): Promise<CommandData<"listDatabases">> {
  const ds = await getDatasource(ctx, datasourceId);
  return askAgent(ctx, ds.agentId, "listDatabases", { datasourceId: ds.id });
}
