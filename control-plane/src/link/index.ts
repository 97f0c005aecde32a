export { LinkHub } from "./hub.js";
export { AgentSession } from "./session.js";
export { attachLinkServer } from "./link-server.js";
