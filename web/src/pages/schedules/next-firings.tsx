import { List, Stack, Text, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { formatDateTime, viewerTimeZone } from "../../format/time.js";
import { ErrorState, LoadingState } from "../../ui/states.js";
import { type BlackoutMisfire, type BlackoutWindow, BlackoutWindow as WindowSchema, formatBlackoutWindow } from "@holdfast/shared";

const weekday = (zone: string) => new Intl.DateTimeFormat("en-US", { weekday: "short", timeZone: zone });

/**
 * The next five firings of the cron as the form has it, asked of the control plane (the scheduler's
 * own croner), in the schedule's zone and, when it differs, the viewer's. These are the times it
 * runs: around the draft's blackout windows (complete rows only) and its agent's. Debounced: typing
 * a cron asks once it pauses.
 */
export function NextFirings({ cron, timezone, blackout = [], blackoutMisfire = "defer", agentId }: { cron: string; timezone: string; blackout?: BlackoutWindow[]; blackoutMisfire?: BlackoutMisfire; agentId?: string | undefined }) {
  const windows = blackout.filter((w) => WindowSchema.safeParse(w).success).map(formatBlackoutWindow).join(";");
  const [[debouncedCron, debouncedZone, debouncedWindows]] = useDebouncedValue([cron.trim(), timezone, windows] as const, 400);
  const extra = { ...(debouncedWindows ? { blackout: debouncedWindows, blackoutMisfire } : {}), ...(agentId ? { agentId } : {}) };
  const preview = useQuery({
    queryKey: [...queryKeys.cronPreview(debouncedCron, debouncedZone), extra],
    queryFn: () => unwrap(api.schedules.preview.$get({ query: { cron: debouncedCron, timezone: debouncedZone, count: "5", ...extra } })),
    enabled: debouncedCron !== "" && debouncedZone !== "",
    placeholderData: keepPreviousData,
    retry: false,
  });
  const mine = viewerTimeZone();
  // A six-field cron fires on seconds: without them its firings would read alike.
  const seconds = debouncedCron.split(/\s+/).length === 6;
  return (
    <Stack gap="xs" aria-live="polite" aria-busy={preview.isFetching}>
      <Title order={3} size="h5">
        Next five firings ({timezone})
      </Title>
      {preview.isPending && preview.fetchStatus !== "idle" && <LoadingState label="Computing the next firings" />}
      {preview.isError && <ErrorState title="This cron cannot run" error={preview.error} />}
      {preview.data && !preview.isError && (
        <List size="sm" spacing={4} aria-label="Next five firings">
          {preview.data.next.map((at) => (
            <List.Item key={at}>
              <time dateTime={at}>
                {weekday(preview.data.timezone).format(new Date(at))} {formatDateTime(at, { timeZone: preview.data.timezone, seconds })}
              </time>
              {preview.data.timezone !== mine && (
                <Text size="xs" c="dimmed">
                  {formatDateTime(at, { timeZone: mine, withZone: false, seconds })} your time
                </Text>
              )}
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}
