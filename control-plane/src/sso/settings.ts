import { HoldfastError, invalidRequest, PasswordSignIn, SsoRoleRule, type SsoSettingsBody, type SsoSettingsView, type SsoStatus } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { AppContext, DbContext } from "../context.js";

/** The one row of `sso_settings`; also the context its sealed client secret is bound to. */
const ROW_ID = "default";
const SECRET_CONTEXT = `sso_settings:${ROW_ID}`;

/** The stored settings as the sign-in flow uses them, the secret still sealed. */
export interface SsoSettings {
  enabled: boolean;
  displayName: string;
  issuerUrl: string;
  clientId: string;
  clientSecretSealed: string | null;
  roleRules: SsoRoleRule[];
  passwordSignIn: PasswordSignIn;
  breakGlassEmail: string | null;
  updatedAt: number;
}

export async function readSsoSettings(ctx: Pick<AppContext, "database">): Promise<SsoSettings | undefined> {
  const { db, t } = ctx.database;
  const [row] = await db.select().from(t.ssoSettings).where(eq(t.ssoSettings.id, ROW_ID)).limit(1);
  if (!row) return undefined;
  return { ...row, roleRules: z.array(SsoRoleRule).parse(JSON.parse(row.roleRules)), passwordSignIn: PasswordSignIn.parse(row.passwordSignIn) };
}

/** The client secret in clear, for the token request only. */
export function openClientSecret(ctx: Pick<AppContext, "secrets">, settings: SsoSettings): string | undefined {
  return settings.clientSecretSealed === null ? undefined : ctx.secrets.open(settings.clientSecretSealed, SECRET_CONTEXT);
}

export async function getSsoSettingsView(ctx: Pick<AppContext, "database">, redirectUri: string): Promise<SsoSettingsView> {
  const s = await readSsoSettings(ctx);
  if (!s) {
    return { configured: false, enabled: false, displayName: "", issuerUrl: "", clientId: "", clientSecretSet: false, roleRules: [], passwordSignIn: "everyone", breakGlassEmail: null, redirectUri, updatedAt: null };
  }
  const { clientSecretSealed, updatedAt, ...rest } = s;
  return { ...rest, configured: true, clientSecretSet: clientSecretSealed !== null, redirectUri, updatedAt: new Date(updatedAt).toISOString() };
}

/**
 * Saves the settings (the secret sealed, or the stored one kept when none is sent). Refused with
 * VALIDATION_FAILED: a first save without a secret, and a break-glass e-mail that is not an enabled
 * admin's: limiting password sign-in to someone who cannot sign in would lock everyone out.
 */
export async function saveSsoSettings(ctx: Pick<AppContext, "database" | "clock" | "secrets">, body: SsoSettingsBody, redirectUri: string): Promise<SsoSettingsView> {
  const existing = await readSsoSettings(ctx);
  const clientSecretSealed = body.clientSecret !== undefined ? ctx.secrets.seal(body.clientSecret, SECRET_CONTEXT) : (existing?.clientSecretSealed ?? null);
  if (clientSecretSealed === null && body.enabled) {
    throw invalidRequest([{ path: "clientSecret", message: "is required: the client secret the provider issued for this client" }], "single sign-on settings");
  }
  if (body.passwordSignIn === "breakGlassOnly" && !(await isEnabledAdmin(ctx, body.breakGlassEmail!))) {
    throw invalidRequest([{ path: "breakGlassEmail", message: `must be the e-mail of an enabled admin: ${body.breakGlassEmail} is not one` }], "single sign-on settings");
  }
  const { clientSecret: _secret, ...fields } = body;
  const values = { ...fields, roleRules: JSON.stringify(body.roleRules), clientSecretSealed, updatedAt: ctx.clock.now().getTime() };
  const { db, t } = ctx.database;
  await db.insert(t.ssoSettings).values({ id: ROW_ID, ...values }).onConflictDoUpdate({ target: t.ssoSettings.id, set: values });
  return getSsoSettingsView(ctx, redirectUri);
}

async function isEnabledAdmin(ctx: DbContext, email: string): Promise<boolean> {
  const { db, t } = ctx.database;
  const rows = await db.select({ id: t.users.id }).from(t.users).where(and(eq(t.users.email, email), eq(t.users.role, "admin"), isNull(t.users.disabledAt))).limit(1);
  return rows.length > 0;
}

/** What the sign-in page needs: is "Sign in with …" offered, and is the password form for everyone. */
export async function ssoStatus(ctx: Pick<AppContext, "database">): Promise<SsoStatus> {
  const s = await readSsoSettings(ctx);
  if (!s?.enabled) return { enabled: false, passwordSignIn: "everyone" };
  return { enabled: true, displayName: s.displayName, passwordSignIn: s.passwordSignIn };
}

/**
 * PASSWORD_SIGN_IN_DISABLED unless this e-mail may sign in with a password: everyone may while SSO
 * is off or password sign-in is not limited; otherwise only the break-glass admin. The check comes
 * before the password's, so a refusal says nothing about the password.
 */
export async function refuseDisabledPasswordSignIn(ctx: Pick<AppContext, "database">, email: string): Promise<void> {
  const s = await readSsoSettings(ctx);
  if (!s?.enabled || s.passwordSignIn === "everyone" || s.breakGlassEmail === email.toLowerCase()) return;
  throw new HoldfastError("PASSWORD_SIGN_IN_DISABLED", `Password sign-in is turned off: use "Sign in with ${s.displayName}"`);
}
