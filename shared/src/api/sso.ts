import { z } from "zod";
import { Email, Role } from "./users.js";

/**
 * Single sign-on through one OpenID Connect provider: the admin's settings, and what the sign-in
 * page needs to know. Rules and reasons: docs/decisions.md ("Single sign-on").
 */

/** Who may still sign in with a password: everyone, or (with SSO on) only the named break-glass admin. */
export const PasswordSignIn = z.enum(["everyone", "breakGlassOnly"]);
export type PasswordSignIn = z.infer<typeof PasswordSignIn>;

/**
 * One claim-to-role rule: the ID token's (or userinfo's) claim `claim` equals `value`, or is a list
 * holding it (`groups` containing `backup-admins`). Rules are tried in order; the first match wins.
 */
export const SsoRoleRule = z
  .object({
    claim: z.string().trim().min(1, "is required").max(100).regex(/^[A-Za-z0-9_.:/-]+$/, "must be a claim name such as groups"),
    value: z.string().trim().min(1, "is required").max(200),
    role: Role,
  })
  .strict();
export type SsoRoleRule = z.infer<typeof SsoRoleRule>;

/** The issuer's URL as its discovery document names it: https only (openid-client refuses plain http). */
export const IssuerUrl = z
  .string()
  .trim()
  .max(500)
  .refine((s) => URL.canParse(s) && new URL(s).protocol === "https:", "must be an https:// URL such as https://login.example.com/realms/ops");

/**
 * `PUT /api/v1/sso/settings`. `clientSecret` is write-only: absent keeps the stored one. Turning
 * password sign-in off needs SSO on and a break-glass admin, who keeps a password for when the
 * provider is down.
 */
export const SsoSettingsBody = z
  .object({
    enabled: z.boolean(),
    displayName: z.string().trim().min(1, "is required").max(60),
    issuerUrl: IssuerUrl,
    clientId: z.string().trim().min(1, "is required").max(200),
    clientSecret: z.string().min(1, "must not be empty: leave it out to keep the stored secret").max(500).optional(),
    roleRules: z.array(SsoRoleRule).min(1, "add at least one rule: without one no one may sign in").max(20),
    passwordSignIn: PasswordSignIn,
    breakGlassEmail: Email.nullable(),
  })
  .strict()
  .refine((b) => b.passwordSignIn === "everyone" || b.enabled, { message: "password sign-in can be limited only while single sign-on is on", path: ["passwordSignIn"] })
  .refine((b) => b.passwordSignIn === "everyone" || b.breakGlassEmail !== null, { message: "name the break-glass admin who may still sign in with a password", path: ["breakGlassEmail"] });
export type SsoSettingsBody = z.infer<typeof SsoSettingsBody>;

/** `GET /api/v1/sso/settings` (admin): the settings without the secret, and the redirect URI to register at the provider. */
export const SsoSettingsView = z.object({
  /** False until an admin saved settings once. */
  configured: z.boolean(),
  enabled: z.boolean(),
  displayName: z.string(),
  issuerUrl: z.string(),
  clientId: z.string(),
  clientSecretSet: z.boolean(),
  roleRules: z.array(SsoRoleRule),
  passwordSignIn: PasswordSignIn,
  breakGlassEmail: z.string().nullable(),
  /** The URL this control plane's callback answers at, as the request reached it. */
  redirectUri: z.string(),
  updatedAt: z.iso.datetime().nullable(),
});
export type SsoSettingsView = z.infer<typeof SsoSettingsView>;

/** `GET /api/v1/sso` (open): whether the sign-in page offers "Sign in with <displayName>", and whether the password form is for everyone. */
export const SsoStatus = z.discriminatedUnion("enabled", [
  z.object({ enabled: z.literal(false), passwordSignIn: z.literal("everyone") }),
  z.object({ enabled: z.literal(true), displayName: z.string(), passwordSignIn: PasswordSignIn }),
]);
export type SsoStatus = z.infer<typeof SsoStatus>;

/** The query the sign-in page's link carries to `GET /api/v1/sso/start`: the console path to land on. */
export const SsoStartQuery = z
  .object({
    returnTo: z
      .string()
      .max(500)
      .regex(/^\/(?![/\\])/, "must be a path of this console, starting with one /")
      .optional(),
  })
  .strict();
export type SsoStartQuery = z.infer<typeof SsoStartQuery>;

/** Where the callback sends the browser on a refusal: the sign-in page, with the catalog code in this query parameter. */
export const SSO_ERROR_PARAM = "ssoError";
