import { AgentStatus, type BlackoutWindow, isUpdateAvailable } from "@holdfast/shared";
import { asc } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { VERSION } from "../version.js";
import type { LinkSecurity } from "../tls/link-security.js";
import { type AgentRow, getAgent } from "./get-agent.js";

export interface AgentView {
  id: string;
  name: string;
  hostname: string;
  status: AgentStatus;
  lastSeenAt: string | null;
  version: string | null;
  /** The protocol major it spoke at its last connection; null before one was recorded. */
  protocolVersion: number | null;
  /** Why the status is what it is (an incompatible agent: which side to upgrade); null otherwise. */
  statusReason: string | null;
  /** Its version is older than this control plane's. */
  updateAvailable: boolean;
  /** How its last link came: "insecure" is plain ws:// across a network (enrolled with --insecure); null before it connected. */
  linkSecurity: LinkSecurity | null;
  /** The cap on its artifact uploads to the control plane, MiB/s; null: none. */
  transferCapMiBps: number | null;
  /** Times no scheduled backup of its datasources starts, in `timezone`; manual ones are refused then unless forced. */
  blackout: BlackoutWindow[];
  /** The IANA zone its blackout windows are read in. */
  timezone: string;
}

export async function listAgents(ctx: DbContext): Promise<AgentView[]> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.agents).orderBy(asc(t.agents.createdAt), asc(t.agents.id));
  return rows.map(agentView);
}

/** One agent as the list shows it (`holdfast agents show`), or AGENT_NOT_FOUND. */
export async function showAgent(ctx: DbContext, agentId: string): Promise<AgentView> {
  return agentView(await getAgent(ctx, agentId));
}

function agentView(a: AgentRow): AgentView {
  return {
    id: a.id,
    name: a.name,
    hostname: a.hostname,
    status: AgentStatus.parse(a.status),
    lastSeenAt: a.lastSeenAt === null ? null : new Date(a.lastSeenAt).toISOString(),
    version: a.version,
    protocolVersion: a.protocolVersion,
    statusReason: a.statusReason,
    updateAvailable: isUpdateAvailable(a.version, VERSION),
    linkSecurity: a.linkSecurity === "tls" || a.linkSecurity === "loopback" || a.linkSecurity === "insecure" ? a.linkSecurity : null,
    transferCapMiBps: a.transferCapMiBps ?? null,
    blackout: a.blackout === null ? [] : (JSON.parse(a.blackout) as BlackoutWindow[]),
    timezone: a.timezone,
  };
}
