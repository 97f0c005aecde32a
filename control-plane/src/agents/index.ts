export { listAgents, type AgentView } from "./list-agents.js";
export { getAgent, type AgentRow } from "./get-agent.js";
export { authenticateAgentUpgrade } from "./authenticate-upgrade.js";
export { revokeAgent } from "./revoke-agent.js";
export { markAgentOnline, markAgentOffline, markAllAgentsOffline, touchAgent } from "./presence.js";
