import { Center, Paper, Stack, Text, Title } from "@mantine/core";
import { IconShieldLock } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import { useEffect } from "react";
import { csrfToken } from "../../session/csrf.js";
import { safeRedirect } from "../../session/redirect.js";
import { useViewer } from "../../session/viewer.js";
import { SignInForm } from "./sign-in-form.js";
import { SsoSignIn } from "./sso-sign-in.js";

/** The sign-in page; after signing in, the viewer goes back to the page that sent them here. */
export function SignInPage({ redirect, ssoError }: { redirect: string | undefined; ssoError?: string | undefined }) {
  const { setUser } = useViewer();
  const router = useRouter();
  const queryClient = useQueryClient();
  useEffect(() => {
    document.title = "Sign in · Holdfast";
  }, []);
  return (
    <Center mih="100vh" p="md" component="main" id="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={400} radius="md">
        <Stack>
          <Stack gap={4} align="center">
            <IconShieldLock size={36} stroke={1.6} aria-hidden />
            <Title order={1} size="h2">
              Sign in to Holdfast
            </Title>
            <Text size="sm" c="dimmed">
              Backups of your databases, under one console.
            </Text>
          </Stack>
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
        </Stack>
      </Paper>
    </Center>
  );
}
