import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import { csrfToken } from "../../session/csrf.js";
import { safeRedirect } from "../../session/redirect.js";
import { useViewer } from "../../session/viewer.js";
import { CardPage } from "../../ui/card-page.js";
import { SignInForm } from "./sign-in-form.js";
import { SsoSignIn } from "./sso-sign-in.js";

/** The sign-in page; after signing in, the viewer goes back to the page that sent them here. */
export function SignInPage({ redirect, ssoError }: { redirect: string | undefined; ssoError?: string | undefined }) {
  const { setUser } = useViewer();
  const router = useRouter();
  const queryClient = useQueryClient();
  return (
    <CardPage title="Sign in to Holdfast" tabTitle="Sign in" subtitle="Backups of your databases, under one console.">
      <SsoSignIn redirect={redirect} ssoError={ssoError} />
      <SignInForm
        onSignedIn={({ user, csrfToken: token }) => {
          csrfToken.set(token);
          setUser(user);
          // Nothing read under another session may show under this one.
          queryClient.clear();
          router.history.push(safeRedirect(redirect));
        }}
      />
    </CardPage>
  );
}
