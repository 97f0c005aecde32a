export { listAgents, type AgentView } from "./list-agents.js";
export { getAgent, type AgentRow } from "./get-agent.js";
export { authenticateAgentUpgrade } from "./authenticate-upgrade.js";
export { revokeAgent } from "./revoke-agent.js";
export { markAgentOnline, markAgentOffline, markAllAgentsOffline, touchAgent } from "./presence.js";
export { askAgent } from "./ask-agent.js";
export { getAgentQueue } from "./get-agent-queue.js";
export { getAgentHealth } from "./get-agent-health.js";
export { getAgentCapabilities } from "./get-agent-capabilities.js";
