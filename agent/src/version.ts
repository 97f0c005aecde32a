/** Reported in helloAck, capabilities and enrollment; kept in step with package.json by hand. */
export const AGENT_VERSION = "0.1.0";
