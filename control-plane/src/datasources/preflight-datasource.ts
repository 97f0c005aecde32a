import type { CommandData } from "@holdfast/shared";
import { askAgent } from "../agents/ask-agent.js";
import type { AppContext } from "../context.js";
import { getDatasource } from "./get-datasource.js";

/** The agent's preflight for this datasource (blocking issues, warnings, tool status), as startBackup runs it. */
export async function preflightDatasource(ctx: AppContext, datasourceId: string): Promise<CommandData<"validateServerBackupPrerequisites">> {
  const ds = await getDatasource(ctx, datasourceId);
  return askAgent(ctx, ds.agentId, "validateServerBackupPrerequisites", { datasourceId: ds.id });
}
