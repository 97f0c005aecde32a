import type { RunState } from "@holdfast/shared";
import { Badge } from "@mantine/core";

const LOOK: Record<RunState, { color: string; hint: string }> = {
  pending: { color: "gray", hint: "recorded, waiting to be sent to its agent" },
  queued: { color: "blue", hint: "waiting on its agent for a free slot" },
  running: { color: "blue", hint: "the agent is working on it" },
  completed: { color: "green", hint: "finished successfully" },
  failed: { color: "red", hint: "stopped with an error" },
  cancelled: { color: "gray", hint: "stopped on request" },
  expired: { color: "orange", hint: "waited in the queue too long and was dropped" },
  missed: { color: "orange", hint: "its firing time passed while it could not start" },
};

/** A run's state as a coloured word (the word carries it, not only the colour). */
export function RunStateBadge({ state }: { state: RunState }) {
  const look = LOOK[state];
  return (
    <Badge component="span" color={look.color} variant={state === "running" || state === "completed" || state === "failed" ? "filled" : "light"} title={look.hint}>
      {state}
    </Badge>
  );
}
