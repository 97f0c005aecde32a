import type { HealthStatus } from "@holdfast/shared";
import { Badge } from "@mantine/core";

const LOOK: Record<HealthStatus, { color: string; hint: string }> = {
  healthy: { color: "green", hint: "the last health check succeeded" },
  warning: { color: "yellow", hint: "the last one or two health checks failed" },
  critical: { color: "red", hint: "three or more health checks in a row failed" },
  unknown: { color: "gray", hint: "not checked yet" },
};

/** A health status as a coloured word (the word carries it, not only the colour); `hint` says why where known. */
export function HealthBadge({ status, hint }: { status: HealthStatus; hint?: string | null }) {
  const look = LOOK[status];
  return (
    <Badge color={look.color} variant={status === "healthy" ? "filled" : "light"} title={hint ?? look.hint}>
      {status}
    </Badge>
  );
}
