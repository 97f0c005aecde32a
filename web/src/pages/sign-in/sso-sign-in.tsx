import { Alert, Button, Divider, Stack, Text } from "@mantine/core";
import { ERROR_CATALOG, type ErrorCode, type SsoStatus } from "@holdfast/shared";
import { IconAlertTriangle, IconLogin } from "@tabler/icons-react";
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { safeRedirect } from "../../session/redirect.js";

export const ssoStatusQuery = queryOptions({
  queryKey: queryKeys.sso,
  queryFn: async (): Promise<SsoStatus> => unwrap(api.sso.$get()),
  staleTime: 60_000,
});

/** What a refused single sign-on came back with (`?ssoError=CODE`): the catalog's sentence, or a generic one for an unknown code. */
function ssoRefusal(code: string): string {
  return Object.hasOwn(ERROR_CATALOG, code) ? ERROR_CATALOG[code as ErrorCode].action : "Single sign-on did not complete: try again, or ask an admin.";
}

/**
 * "Sign in with <provider>" when single sign-on is on: a plain link (a full navigation to the
 * provider and back), with the page to return to. Nothing while the status loads or if it fails:
 * the password form below still works.
 */
export function SsoSignIn({ redirect, ssoError }: { redirect: string | undefined; ssoError: string | undefined }) {
  const status = useQuery(ssoStatusQuery);
  const returnTo = safeRedirect(redirect);
  const href = `/api/v1/sso/start${returnTo === "/" ? "" : `?${new URLSearchParams({ returnTo })}`}`;
  return (
    <Stack gap="md">
      {ssoError && (
        <Alert color="red" variant="light" title="Not signed in" icon={<IconAlertTriangle aria-hidden />} role="alert">
          <Text size="sm">{ssoRefusal(ssoError)}</Text>
        </Alert>
      )}
      {status.data?.enabled && (
        <>
          <Button component="a" href={href} size="md" variant="filled" leftSection={<IconLogin size={18} aria-hidden />} fullWidth styles={{ label: { whiteSpace: "normal" } }}>
            Sign in with {status.data.displayName}
          </Button>
          <Divider label={status.data.passwordSignIn === "breakGlassOnly" ? "or, for the break-glass admin only" : "or with your password"} labelPosition="center" />
        </>
      )}
    </Stack>
  );
}
