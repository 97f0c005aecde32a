import { type Clock, HoldfastError } from "@holdfast/shared";
import { constantTimeEqual, newSecret, sha256Hex } from "../crypto.js";

export const DOWNLOAD_TOKEN_TTL_MS = 30 * 60_000;

interface DownloadEntry {
  restoreRunId: string;
  sourceRunId: string;
  agentId: string;
  expiresAt: number;
}

/**
 * Download tokens of the restore direction (docs/link.md §9), the same design as `UploadTokens`:
 * random, kept in memory as hashes, bound to one run and one agent. One token per restore run: it
 * may be presented for several `GET`s (a `Range` resume after a cut), only for that restore's source
 * artifact, for 30 minutes from issue, and only while the restore run has not ended (the download
 * route checks the run's state on every request). A control-plane restart forgets them: the agent's
 * next GET gets 401 and the restore fails at its download stage.
 */
export class DownloadTokens {
  private readonly tokens = new Map<string, DownloadEntry>();

  constructor(private readonly clock: Clock) {}

  issue(restoreRunId: string, sourceRunId: string, agentId: string): string {
    const now = this.clock.now().getTime();
    for (const [hash, entry] of this.tokens) if (entry.expiresAt <= now || entry.restoreRunId === restoreRunId) this.tokens.delete(hash);
    const token = newSecret("hf_dl_");
    this.tokens.set(sha256Hex(token), { restoreRunId, sourceRunId, agentId, expiresAt: now + DOWNLOAD_TOKEN_TTL_MS });
    return token;
  }

  /** The restore a valid token was issued for, if it names `sourceRunId`'s artifact; else UNAUTHENTICATED. */
  check(authorization: string | undefined, sourceRunId: string): { restoreRunId: string; agentId: string } {
    const refused = new HoldfastError("UNAUTHENTICATED", "Missing or invalid download token");
    const token = authorization?.startsWith("Bearer ") ? authorization.slice(7).trim() : "";
    if (!token || token.length > 256) throw refused;
    const entry = this.tokens.get(sha256Hex(token));
    if (!entry || entry.expiresAt <= this.clock.now().getTime() || !constantTimeEqual(entry.sourceRunId, sourceRunId)) throw refused;
    return { restoreRunId: entry.restoreRunId, agentId: entry.agentId };
  }

  /** The restore ended (or never started): its token is no longer good. */
  revoke(restoreRunId: string): void {
    for (const [hash, entry] of this.tokens) if (entry.restoreRunId === restoreRunId) this.tokens.delete(hash);
  }
}
