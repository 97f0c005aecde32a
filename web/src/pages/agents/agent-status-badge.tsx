import type { AgentStatus } from "@holdfast/shared";
import { Badge } from "@mantine/core";

const LOOK: Record<AgentStatus, { color: string; label: string; hint: string }> = {
  online: { color: "green", label: "online", hint: "connected now" },
  offline: { color: "gray", label: "offline", hint: "not connected: its runs wait for it" },
  revoked: { color: "red", label: "revoked", hint: "its key is refused; enroll the host again to use it" },
  incompatible: { color: "orange", label: "incompatible", hint: "it speaks another protocol than this control plane: the reason shown says which side to upgrade" },
};

/** An agent's status as a coloured word (the word carries it, not only the colour). */
export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  const look = LOOK[status];
  return (
    // Filled, with auto-contrast: white on this green or orange fails axe's contrast check, and so does orange on its light tint.
    <Badge color={look.color} variant={status === "online" || status === "incompatible" ? "filled" : "light"} autoContrast title={look.hint}>
      {look.label}
    </Badge>
  );
}
