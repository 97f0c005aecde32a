import { SsoSettingsBody, type SsoSettingsView } from "@holdfast/shared";
import { z } from "zod";

/** What the form holds: every field a string or a list, the secret empty unless a new one is typed. */
export type SsoSettingsFields = Omit<z.input<typeof SsoSettingsBody>, "clientSecret" | "breakGlassEmail"> & { clientSecret: string; breakGlassEmail: string };

/**
 * The request's own schema, after the form's empty fields become what the API means by them: no
 * secret (keep the stored one), no break-glass admin.
 */
export const SsoSettingsForm = z.preprocess((value) => {
  const v = value as SsoSettingsFields;
  return { ...v, clientSecret: v.clientSecret === "" ? undefined : v.clientSecret, breakGlassEmail: v.breakGlassEmail.trim() === "" ? null : v.breakGlassEmail };
}, SsoSettingsBody);

export function fieldsFrom(view: SsoSettingsView): SsoSettingsFields {
  return {
    enabled: view.enabled,
    displayName: view.displayName,
    issuerUrl: view.issuerUrl,
    clientId: view.clientId,
    clientSecret: "",
    roleRules: view.roleRules.length > 0 ? view.roleRules : [{ claim: "groups", value: "", role: "viewer" }],
    passwordSignIn: view.passwordSignIn,
    breakGlassEmail: view.breakGlassEmail ?? "",
  };
}
