import { HoldfastError, newId, Role } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import * as oidc from "openid-client";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.js";
import type { AppContext } from "../context.js";
import { type SignedIn, startSession } from "../sessions/sign-in.js";
import { pruneSessions } from "../sessions/resolve-session.js";
import { assertUserActive } from "../users/authenticated-user.js";
import { UNMATCHABLE_PASSWORD_HASH } from "../users/password.js";
import type { UserView } from "../users/user-record.js";
import { providerConfig, reasonOf } from "./oidc-config.js";
import { roleForClaims } from "./role-rules.js";
import { readSsoSettings, type SsoSettings } from "./settings.js";

export type SsoContext = Pick<AppContext, "database" | "clock" | "env" | "log" | "secrets">;

/** How long a browser may spend at the provider between start and callback. */
export const FLOW_TTL_MS = 10 * 60_000;
/** What the flow's cookie is sealed against: a value sealed for another purpose does not open as one. */
const FLOW_CONTEXT = "sso-flow";

/** What start hands to the callback through the browser: sealed in the flow cookie, never in the URL. */
const Flow = z.object({ state: z.string(), nonce: z.string(), verifier: z.string(), returnTo: z.string(), startedAt: z.number() });
type Flow = z.infer<typeof Flow>;

async function enabledSettings(ctx: SsoContext): Promise<SsoSettings> {
  const settings = await readSsoSettings(ctx);
  if (!settings?.enabled) throw new HoldfastError("SSO_DISABLED", "Single sign-on is off on this control plane: sign in with your e-mail and password");
  return settings;
}

/**
 * The provider's authorization URL (code flow, PKCE S256, state, nonce), and the flow's sealed value
 * for the cookie that brings state, nonce and verifier back to the callback.
 */
export async function startSsoSignIn(ctx: SsoContext, redirectUri: string, returnTo = "/"): Promise<{ url: URL; sealedFlow: string }> {
  const settings = await enabledSettings(ctx);
  const config = await providerConfig(ctx, settings);
  const flow: Flow = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), returnTo, startedAt: ctx.clock.now().getTime() };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid email profile",
    code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
    code_challenge_method: "S256",
    state: flow.state,
    nonce: flow.nonce,
  });
  return { url, sealedFlow: ctx.secrets.seal(JSON.stringify(flow), FLOW_CONTEXT) };
}

const failed = (why: string, details?: Record<string, unknown>) => new HoldfastError("SSO_SIGN_IN_FAILED", `Single sign-on failed: ${why}`, details);

function openFlow(ctx: SsoContext, sealedFlow: string | undefined): Flow {
  if (!sealedFlow) throw failed("this browser holds no sign-in started here (its cookie expired after 10 minutes, or the sign-in began elsewhere)");
  let flow: Flow;
  try {
    flow = Flow.parse(JSON.parse(ctx.secrets.open(sealedFlow, FLOW_CONTEXT)));
  } catch {
    throw failed("the sign-in's cookie is not one this control plane sealed");
  }
  if (ctx.clock.now().getTime() - flow.startedAt > FLOW_TTL_MS) throw failed("the sign-in took longer than 10 minutes");
  return flow;
}

export interface FinishedSsoSignIn extends SignedIn {
  returnTo: string;
}

/**
 * The callback: checks the provider's answer against the flow (state, then the code exchanged with
 * the PKCE verifier, the ID token's signature, issuer, audience and nonce), finds or creates the user
 * by the verified e-mail with the role the rules give, and opens a session. Every outcome is audited
 * as `session.ssoSignIn`.
 */
export async function finishSsoSignIn(ctx: SsoContext, callbackUrl: URL, sealedFlow: string | undefined, meta: { address: string; requestId?: string }): Promise<FinishedSsoSignIn> {
  const audit = { action: "session.ssoSignIn", clientAddress: meta.address, requestId: meta.requestId ?? null };
  const target: Record<string, string> = {};
  try {
    const settings = await enabledSettings(ctx);
    const flow = openFlow(ctx, sealedFlow);
    const claims = await verifiedClaims(ctx, settings, callbackUrl, flow);
    target.ssoSubject = String(claims.sub).slice(0, 128);
    const role = roleForClaims(settings.roleRules, claims);
    if (!role) throw new HoldfastError("SSO_NO_ROLE_MATCH", `${String(claims.email)} matched no claim-to-role rule of this control plane: ask an admin for access`);
    const user = await findOrCreateUser(ctx, String(claims.email), role);
    target.userId = user.id;
    await pruneSessions(ctx);
    const signedIn = await startSession(ctx, user, meta.address, "sso");
    await recordAudit(ctx, { ...audit, actor: { userId: user.id, email: user.email, credential: "session" }, target, status: 201 });
    return { ...signedIn, returnTo: flow.returnTo };
  } catch (err) {
    const code = err instanceof HoldfastError ? err.code : "INTERNAL_ERROR";
    await recordAudit(ctx, { ...audit, actor: null, target, status: err instanceof HoldfastError ? err.status : 500, errorCode: code });
    throw err;
  }
}

/** The ID token's claims, with the userinfo endpoint's (where groups often are) under them. */
async function verifiedClaims(ctx: SsoContext, settings: SsoSettings, callbackUrl: URL, flow: Flow): Promise<Record<string, unknown> & { sub: string }> {
  const config = await providerConfig(ctx, settings);
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
  } catch (err) {
    ctx.log.warn({ reason: reasonOf(err) }, "single sign-on callback refused");
    throw failed(reasonOf(err), { reason: reasonOf(err) });
  }
  const idClaims = tokens.claims();
  if (!idClaims) throw failed("the provider sent no ID token");
  let userinfo: Record<string, unknown> = {};
  try {
    userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
  } catch (err) {
    // Not every provider serves userinfo to every client: the ID token's claims are then all there is.
    ctx.log.warn({ reason: reasonOf(err) }, "single sign-on: userinfo not read");
  }
  const claims = { ...userinfo, ...idClaims };
  if (typeof claims.email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(claims.email)) {
    throw failed("the provider sent no e-mail address: let the client ask for the email scope, and give the account an e-mail");
  }
  if (claims.email_verified === false) throw failed(`the provider says ${claims.email} is not verified`);
  return claims;
}

/**
 * The user with this e-mail, or a new one with `role` and no usable password (an admin may set one).
 * An existing user keeps the role an admin gave them; a disabled one is refused (USER_DISABLED).
 */
async function findOrCreateUser(ctx: SsoContext, email: string, role: Role): Promise<UserView> {
  const { db, t } = ctx.database;
  const lower = email.toLowerCase();
  await db
    .insert(t.users)
    .values({ id: newId("usr"), email: lower, role, passwordHash: UNMATCHABLE_PASSWORD_HASH, createdAt: ctx.clock.now().getTime() })
    .onConflictDoNothing();
  const [row] = await db.select().from(t.users).where(eq(t.users.email, lower)).limit(1);
  if (!row) throw new HoldfastError("INTERNAL_ERROR", `The user ${lower} was neither found nor created`);
  assertUserActive(row);
  return { id: row.id, email: row.email, role: Role.parse(row.role) };
}
