import { useQuery } from "@tanstack/react-query";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { ssoSettingsQuery } from "./sso-settings-query.js";
import { SsoSettingsFormView } from "./sso-settings-form.js";

/** Single sign-on (admin): one OpenID Connect provider, who gets which role, and who keeps a password. */
export function SsoSettingsPage() {
  const settings = useQuery(ssoSettingsQuery);
  return (
    <>
      <PageHeader title="Single sign-on" description="Let people sign in through your OpenID Connect provider (Keycloak, Entra ID, Google, Authentik…)." />
      <QueryView query={settings} what="the single sign-on settings">
        {(view) => <SsoSettingsFormView view={view} />}
      </QueryView>
    </>
  );
}
