import { Alert, Button, Code, Stack, Text } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useRouter } from "@tanstack/react-router";
import { useState } from "react";
import { unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { csrfToken } from "../../session/csrf.js";
import { openApi } from "../../session/open-api.js";
import { useViewer } from "../../session/viewer.js";
import { CardPage } from "../../ui/card-page.js";
import { ErrorState, LoadingState } from "../../ui/states.js";
import { SetupForm } from "./setup-form.js";
import { takeSetupToken } from "./setup-token.js";

/**
 * The first admin's setup, opened by the link `holdfast serve` prints while no user exists
 * (`/setup#token=…`). Says what to do instead when the link has no token or setup is done.
 */
export function SetupPage() {
  const [token] = useState(() => takeSetupToken());
  const { setUser } = useViewer();
  const router = useRouter();
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: queryKeys.setup, queryFn: () => unwrap(openApi.setup.$get()) });
  return (
    <CardPage title="Create the first admin" tabTitle="Setup" subtitle="Holdfast has no user yet. The admin you create here can add the others.">
      {status.isPending && <LoadingState label="Checking whether setup is needed" />}
      {status.isError && <ErrorState title="Could not check the setup" error={status.error} onRetry={() => void status.refetch()} />}
      {status.data?.needed === false && (
        <Stack>
          <Alert color="blue" title="Setup is done" role="status">
            <Text size="sm">The first admin exists already: sign in, or ask an admin for an account.</Text>
          </Alert>
          <Button component={Link} to="/sign-in" fullWidth>
            Sign in
          </Button>
        </Stack>
      )}
      {status.data?.needed && !token && (
        <Alert color="orange" title="This link has no setup token" role="alert">
          <Text size="sm">
            Open the link that <Code>holdfast serve</Code> printed on its standard error when it started, whole: it ends in <Code>/setup#token=…</Code>.
          </Text>
        </Alert>
      )}
      {status.data?.needed && token && (
        <SetupForm
          token={token}
          onSignedIn={({ user, csrfToken: csrf }) => {
            csrfToken.set(csrf);
            setUser(user);
            queryClient.clear();
            router.history.push("/");
          }}
        />
      )}
    </CardPage>
  );
}
