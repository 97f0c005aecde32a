import { enrollmentTokenHash, HoldfastError, newId } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { newSecret } from "../crypto.js";

export const ENROLLMENT_TOKEN_PREFIX = "hf_enr_";
export const DEFAULT_ENROLLMENT_TTL_MS = 15 * 60_000;
export const MAX_ENROLLMENT_TTL_MS = 24 * 60 * 60_000;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `15m`, `2h` → milliseconds; VALIDATION_FAILED for anything else or beyond 24 h. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,6})([smh])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] as string]! : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_ENROLLMENT_TTL_MS) {
    throw new HoldfastError("VALIDATION_FAILED", `Invalid TTL "${text}": use a number with s, m or h, at most 24h`, { ttl: text });
  }
  return ms;
}

/**
 * Creates a single-use enrollment token. It is returned once and only its SHA-256 is stored, so a
 * copy of the database cannot enroll anything.
 */
export async function createEnrollmentToken(
  ctx: DbContext,
  input: { ttlMs?: number } = {},
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const ttlMs = input.ttlMs ?? DEFAULT_ENROLLMENT_TTL_MS;
  if (ttlMs <= 0 || ttlMs > MAX_ENROLLMENT_TTL_MS) throw new HoldfastError("VALIDATION_FAILED", "TTL must be between 1 s and 24 h");
  const token = newSecret(ENROLLMENT_TOKEN_PREFIX, "base32");
  const now = ctx.clock.now().getTime();
  const id = newId("tok");
  const { db, t } = ctx.database;
  await db.insert(t.enrollmentTokens).values({ id, tokenHash: await enrollmentTokenHash(token), expiresAt: now + ttlMs, createdAt: now });
  return { id, token, expiresAt: new Date(now + ttlMs) };
}
