import { HoldfastError } from "@holdfast/shared";
import * as oidc from "openid-client";
import { openClientSecret, type SsoSettings } from "./settings.js";
import type { AppContext } from "../context.js";

/**
 * The provider's configuration from its discovery document, fetched once per saved settings (the
 * key holds their time) and again after a failure. openid-client accepts https issuers only; a
 * private CA is trusted through NODE_EXTRA_CA_CERTS.
 */
let cached: { key: string; config: Promise<oidc.Configuration> } | undefined;

export function providerConfig(ctx: Pick<AppContext, "secrets">, settings: SsoSettings): Promise<oidc.Configuration> {
  const key = `${settings.issuerUrl}\n${settings.clientId}\n${settings.updatedAt}`;
  if (cached?.key === key) return cached.config;
  const secret = openClientSecret(ctx, settings);
  const config = oidc
    .discovery(new URL(settings.issuerUrl), settings.clientId, secret === undefined ? undefined : { client_secret: secret }, secret === undefined ? oidc.None() : oidc.ClientSecretBasic(secret), { timeout: 10 })
    .catch((err: unknown) => {
      if (cached?.key === key) cached = undefined;
      throw new HoldfastError("SSO_PROVIDER_UNREACHABLE", `The identity provider at ${settings.issuerUrl} could not be asked for its configuration: ${reasonOf(err)}`, { reason: reasonOf(err), issuerUrl: settings.issuerUrl });
    });
  cached = { key, config };
  return config;
}

/** An error's message and, for fetch's "fetch failed", its cause's (the TLS or connection error). */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`.slice(0, 300);
}
