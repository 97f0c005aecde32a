/**
 * Every query key of the console, in one place: the live event stream (`live/`) invalidates by these
 * prefixes when the control plane reports a change, so a page that keys its queries here stays fresh
 * without polling. A key is a prefix of the keys under it: invalidating `["runs"]` refreshes every
 * run list and every run.
 */
export const queryKeys = {
  session: ["session"] as const,
  /** Whether the first admin is still to be created (`GET /setup`). */
  setup: ["setup"] as const,
  agents: ["agents"] as const,
  /** The agent packages this control plane serves (`GET /install/manifest.json`, outside the API). */
  installManifest: ["install-manifest"] as const,
  agent: (id: string) => ["agents", id] as const,
  datasources: ["datasources"] as const,
  datasource: (id: string) => ["datasources", id] as const,
  destinations: ["destinations"] as const,
  destination: (id: string) => ["destinations", id] as const,
  schedules: ["schedules"] as const,
  schedule: (id: string) => ["schedules", id] as const,
  /** A draft cron's next firings: computed from the cron and zone alone, so under no live prefix. */
  cronPreview: (cron: string, timezone: string) => ["cron-preview", cron, timezone] as const,
  /** What a (draft) retention policy keeps and deletes: it changes as backups come and go, so under runs. */
  retentionPreview: (scheduleId: string, draft: Record<string, unknown>) => ["runs", "retention-preview", scheduleId, draft] as const,
  /** Run lists (with their filters after the prefix) and single runs (`["runs", "one", runId]`). */
  runs: ["runs"] as const,
  runList: (filters: Record<string, unknown>) => ["runs", "list", filters] as const,
  run: (runId: string) => ["runs", "one", runId] as const,
  runDeliveries: (runId: string) => ["runs", "one", runId, "deliveries"] as const,
  runLogs: (runId: string) => ["runs", "one", runId, "logs"] as const,
  stats: ["stats"] as const,
  users: ["users"] as const,
  apiTokens: ["api-tokens"] as const,
  enrollmentTokens: ["enrollment-tokens"] as const,
  /** Whether single sign-on is on (the sign-in page), and its settings (admin). */
  sso: ["sso"] as const,
  ssoSettings: ["sso", "settings"] as const,
  notificationChannels: ["notification-channels"] as const,
  notificationSends: ["notification-sends"] as const,
  /** The audit log (admin), with its filters after the prefix. No live event reports it: it refetches on focus. */
  audit: ["audit"] as const,
  auditList: (filters: Record<string, unknown>) => ["audit", "list", filters] as const,
} as const;
