import { type Clock, HoldfastError } from "@holdfast/shared";
import { constantTimeEqual, newSecret, sha256Hex } from "../crypto.js";
import { ReceivedHashes } from "./received-hashes.js";

export const UPLOAD_TOKEN_TTL_MS = 10 * 60_000;

interface TokenEntry {
  runId: string;
  agentId: string;
  expiresAt: number;
  /** While the run still stages: the most the spool file may grow to (the spool's reservation). */
  maxBytes: number | null;
}

/**
 * "ended": the body arrived whole; "cut": the connection broke (the bytes that came are kept);
 * "full": an upload during staging reached the spool's reservation (the bytes up to it are kept);
 * "timeout": no upload began.
 */
export type UploadEnd = "ended" | "cut" | "full" | "timeout";

/**
 * Single-use upload tokens and the uploads they authorise. Tokens live in memory as hashes: they are
 * only good for one pull attempt of this process, and a restart simply issues new ones.
 */
export class UploadTokens {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly active = new Set<string>();
  private readonly waiters = new Map<string, Set<(end: UploadEnd) => void>>();
  /** The SHA-256 of what each partial spool file holds, kept as the bytes arrive. */
  readonly hashes = new ReceivedHashes();

  constructor(private readonly clock: Clock) {}

  /**
   * A fresh token for one upload of `runId` by `agentId`, valid 10 minutes. `maxBytes` bounds the
   * upload of a run that has no size yet (one still staging).
   */
  issue(runId: string, agentId: string, maxBytes: number | null = null): string {
    const now = this.clock.now().getTime();
    for (const [hash, entry] of this.tokens) if (entry.expiresAt <= now) this.tokens.delete(hash);
    const token = newSecret("hf_upl_");
    this.tokens.set(sha256Hex(token), { runId, agentId, expiresAt: now + UPLOAD_TOKEN_TTL_MS, maxBytes });
    return token;
  }

  /** The agent a valid token was issued to, without using it up (for `HEAD`). */
  check(authorization: string | undefined, runId: string): { agentId: string } {
    const found = this.find(authorization, runId);
    return { agentId: found.entry.agentId };
  }

  /** Like `check`, and the token cannot be used again. */
  consume(authorization: string | undefined, runId: string): { agentId: string; maxBytes: number | null } {
    const found = this.find(authorization, runId);
    this.tokens.delete(found.hash);
    return { agentId: found.entry.agentId, maxBytes: found.entry.maxBytes };
  }

  private find(authorization: string | undefined, runId: string): { hash: string; entry: TokenEntry } {
    const refused = new HoldfastError("UNAUTHENTICATED", "Missing or invalid upload token");
    const token = authorization?.startsWith("Bearer ") ? authorization.slice(7).trim() : "";
    if (!token || token.length > 256) throw refused;
    const hash = sha256Hex(token);
    const entry = this.tokens.get(hash);
    if (!entry || entry.expiresAt <= this.clock.now().getTime() || !constantTimeEqual(entry.runId, runId)) throw refused;
    return { hash, entry };
  }

  /** Marks an upload of `runId` as running; false when one already is (only one writer per file). */
  begin(runId: string): boolean {
    if (this.active.has(runId)) return false;
    this.active.add(runId);
    return true;
  }

  /** The upload finished, well or not: whoever waits re-reads the spool file. */
  end(runId: string, how: Exclude<UploadEnd, "timeout"> = "ended"): void {
    this.active.delete(runId);
    const waiting = this.waiters.get(runId);
    this.waiters.delete(runId);
    for (const resolve of waiting ?? []) resolve(how);
  }

  /**
   * Resolves when the next upload of `runId` ends, or with "timeout" when none has begun within
   * `startTimeoutMs` (the agent accepted but never called back). A begun upload may take as long as
   * the bytes need.
   */
  waitForUpload(runId: string, startTimeoutMs: number): { done: Promise<UploadEnd>; cancel(): void } {
    let resolveFn!: (end: UploadEnd) => void;
    const done = new Promise<UploadEnd>((resolve) => {
      resolveFn = resolve;
    });
    const set = this.waiters.get(runId) ?? new Set();
    this.waiters.set(runId, set);
    const settle = (end: UploadEnd) => {
      stopTimer();
      set.delete(settle);
      resolveFn(end);
    };
    set.add(settle);
    const poll = () => {
      if (!set.has(settle)) return;
      if (this.active.has(runId)) stopTimer = this.clock.setTimeout(poll, startTimeoutMs);
      else settle("timeout");
    };
    let stopTimer = this.clock.setTimeout(poll, startTimeoutMs);
    return { done, cancel: () => settle("timeout") };
  }
}
