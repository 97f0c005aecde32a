import dns from "node:dns";
import type { Finding } from "./finding.js";

/** Step 1 of reaching the control plane: its host name resolves. Returns the first address for the next steps. */
export async function checkDns(host: string): Promise<{ address: string | null; findings: Finding[] }> {
  try {
    const addresses = await dns.promises.lookup(host, { all: true });
    const list = addresses.map((a) => a.address);
    return { address: list[0] ?? null, findings: [{ check: "dns", status: "ok", summary: `${host} resolves to ${list.join(", ")}` }] };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    return {
      address: null,
      findings: [{ check: "dns", status: "fail", summary: `${host} does not resolve (${code})`, fix: "check the server URL in identity.json and this host's DNS (/etc/resolv.conf)" }],
    };
  }
}
