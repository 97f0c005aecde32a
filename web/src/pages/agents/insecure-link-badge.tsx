import { Badge } from "@mantine/core";

/**
 * Flags an agent whose link came as plain ws:// from another host (enrolled with --insecure): its
 * token, commands and backups cross the network in clear. TLS and loopback links show nothing.
 */
export function InsecureLinkBadge({ linkSecurity }: { linkSecurity: "tls" | "loopback" | "insecure" | null }) {
  if (linkSecurity !== "insecure") return null;
  return (
    <Badge color="red" variant="outline" title="This agent connects over plain ws:// from another host (enrolled with --insecure): its link is not encrypted. Serve TLS and enroll it again with --ca-pin.">
      insecure link
    </Badge>
  );
}
