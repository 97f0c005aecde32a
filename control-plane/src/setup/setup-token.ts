import { newId } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { newSecret, sha256Hex } from "../crypto.js";

export const SETUP_TOKEN_PREFIX = "hf_setup_";

/** Whether any user exists: the first admin's setup is open until one does. */
export async function anyUserExists(ctx: DbContext): Promise<boolean> {
  const { db, t } = ctx.database;
  return (await db.select({ id: t.users.id }).from(t.users).limit(1)).length > 0;
}

/**
 * At start-up: while no user exists, a fresh setup token (the previous start's no longer works),
 * returned once for the setup URL and stored only as its SHA-256; once a user exists, none.
 */
export async function issueSetupToken(ctx: DbContext): Promise<string | null> {
  const { db, t } = ctx.database;
  if (await anyUserExists(ctx)) {
    await db.delete(t.setupTokens);
    return null;
  }
  const token = newSecret(SETUP_TOKEN_PREFIX);
  await db.delete(t.setupTokens);
  await db.insert(t.setupTokens).values({ id: newId("tok"), tokenHash: sha256Hex(token), createdAt: ctx.clock.now().getTime() });
  return token;
}

/**
 * The URL that `holdfast serve` prints. The token sits in the fragment, which browsers never send:
 * it stays out of request lines, proxy logs and Referer headers; the page reads it and POSTs it.
 */
export function setupUrl(serverUrl: string, token: string): string {
  return `${serverUrl}/setup#token=${token}`;
}
