import { EnrollmentTtl, enrollmentTokenHash, HoldfastError, MAX_ENROLLMENT_TTL_MS, newId, parseOrThrow } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { newSecret } from "../crypto.js";
import { enrollCommands, type EnrollPins, type InstallCommand, type ReadyCommand } from "./enroll-commands.js";

export const ENROLLMENT_TOKEN_PREFIX = "hf_enr_";
export const DEFAULT_ENROLLMENT_TTL_MS = 15 * 60_000;

/** `90s`, `15m`, `2h` → milliseconds; VALIDATION_FAILED for anything else or beyond 24 h (shared's EnrollmentTtl). */
export function parseTtl(text: string): number {
  return parseOrThrow(EnrollmentTtl, text, "TTL");
}

export interface NewEnrollmentToken {
  ttlMs?: number;
  /** To recognise it in the pending list (`db-7 in Frankfurt`). */
  name?: string | undefined;
  /** The e-mail of the user making it; none from the CLI. */
  createdBy?: string | undefined;
}

/**
 * Creates a single-use enrollment token. It is returned once and only its SHA-256 is stored, so a
 * copy of the database cannot enroll anything.
 */
export async function createEnrollmentToken(
  ctx: DbContext,
  input: NewEnrollmentToken = {},
): Promise<{ id: string; token: string; name: string | null; expiresAt: Date }> {
  const ttlMs = input.ttlMs ?? DEFAULT_ENROLLMENT_TTL_MS;
  if (ttlMs <= 0 || ttlMs > MAX_ENROLLMENT_TTL_MS) throw new HoldfastError("VALIDATION_FAILED", "TTL must be between 1 s and 24 h");
  const token = newSecret(ENROLLMENT_TOKEN_PREFIX, "base32");
  const now = ctx.clock.now().getTime();
  const id = newId("tok");
  const name = input.name ?? null;
  const { db, t } = ctx.database;
  await db.insert(t.enrollmentTokens).values({ id, tokenHash: await enrollmentTokenHash(token), expiresAt: now + ttlMs, createdAt: now, name, createdBy: input.createdBy ?? null });
  return { id, token, name, expiresAt: new Date(now + ttlMs) };
}

/**
 * `POST /api/v1/enrollment-tokens`: a token, answered once with the commands that enroll a host
 * with it against `serverUrl` (where the admin reached this control plane).
 */
export async function issueEnrollmentToken(
  ctx: DbContext,
  input: NewEnrollmentToken & { serverUrl: string; pins?: EnrollPins },
): Promise<{ id: string; name: string | null; expiresAt: string; token: string; serverUrl: string; commands: { install: InstallCommand; enroll: ReadyCommand; warning?: string } }> {
  const { id, token, name, expiresAt } = await createEnrollmentToken(ctx, input);
  return { id, name, expiresAt: expiresAt.toISOString(), token, serverUrl: input.serverUrl, commands: enrollCommands(input.serverUrl, token, input.pins) };
}
