import { HoldfastError, PROTOCOL_VERSION, type CommandData } from "@holdfast/shared/protocol";
import { AGENT_VERSION } from "../version.js";

/** What a command handler may ask of the live connection. */
export interface LinkControl {
  /** Sends every outbox event after `afterSequence`; returns how many. */
  replayAfter(afterSequence: number): number;
  /** The session the control plane opened with `hello`; null before it. */
  sessionInfo(): { sessionId: string; connectedAt: string } | null;
}

/** getSession: this link's session as the agent sees it; 503 AGENT_OFFLINE before the control plane said hello. */
export function describeSession(link: LinkControl, agentId: string): CommandData<"getSession"> {
  const session = link.sessionInfo();
  if (!session) throw new HoldfastError("AGENT_OFFLINE", "No session: the control plane has not said hello on this link");
  return { agentId, ...session, protocolVersion: PROTOCOL_VERSION, agentVersion: AGENT_VERSION };
}
