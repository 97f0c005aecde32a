import { z } from "zod";
import { HoldfastError } from "./errors.js";

/**
 * States of a run as the agent sees it. `pending` and `missed` are the control plane's own (a firing
 * waiting for an offline agent, or one that never reached it) and never appear on the agent.
 */
export const AgentRunState = z.enum(["queued", "running", "completed", "failed", "cancelled", "expired"]);
export type AgentRunState = z.infer<typeof AgentRunState>;

export const RunState = z.enum([...AgentRunState.options, "pending", "missed"]);
export type RunState = z.infer<typeof RunState>;

export const RunKind = z.enum(["backup", "restore", "drill"]);
export type RunKind = z.infer<typeof RunKind>;

export const RunTrigger = z.enum(["manual", "schedule"]);
export type RunTrigger = z.infer<typeof RunTrigger>;

const TRANSITIONS: Record<AgentRunState, readonly AgentRunState[]> = {
  queued: ["running", "cancelled", "expired"],
  running: ["completed", "failed", "cancelled"],
  completed: [],
  failed: [],
  cancelled: [],
  expired: [],
};

export function isTerminal(state: AgentRunState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function canTransition(from: AgentRunState, to: AgentRunState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The one place that decides whether a run may move; everything else calls it. */
export function assertTransition(from: AgentRunState, to: AgentRunState, runId?: string): void {
  if (!canTransition(from, to)) {
    throw new HoldfastError("INVALID_STATE_TRANSITION", `A ${from} run cannot become ${to}`, {
      ...(runId ? { runId } : {}),
      from,
      to,
    });
  }
}

/**
 * The control plane's own moves, outside the agent's machine. A `pending` firing is sent (the agent
 * queues it, or starts it at once), refused by the agent (`failed`, with its error), coalesced into
 * a run already queued or dropped by pausing its schedule (`cancelled`), or never sent within the
 * grace window (`missed`). `missed` is final.
 */
export const CONTROL_PLANE_TRANSITIONS: Record<"pending" | "missed", readonly RunState[]> = {
  pending: ["queued", "running", "failed", "cancelled", "missed"],
  missed: [],
};

export const DeliveryState = z.enum(["pending", "running", "completed", "failed"]);
export type DeliveryState = z.infer<typeof DeliveryState>;

export const AgentStatus = z.enum(["online", "offline", "revoked", "incompatible"]);
export type AgentStatus = z.infer<typeof AgentStatus>;
