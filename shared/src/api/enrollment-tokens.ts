import { z } from "zod";

/** An enrollment token lives at most a day: long enough to install a host, short enough to forget. */
export const MAX_ENROLLMENT_TTL_MS = 24 * 60 * 60_000;
export const DEFAULT_ENROLLMENT_TTL = "15m";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `15m`, `2h` → milliseconds, at most 24 h: the CLI's `--ttl` and the API's `ttl` read alike. */
export const EnrollmentTtl = z
  .string()
  .trim()
  .regex(/^\d{1,6}[smh]$/, "must be a number with s, m or h, such as 90s, 15m or 2h")
  .transform((text) => Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1)]!)
  .refine((ms) => ms > 0 && ms <= MAX_ENROLLMENT_TTL_MS, "must be more than 0 and at most 24h");

/** `POST /api/v1/enrollment-tokens`: how long the token stays valid, and a name to recognise it by in the pending list. */
export const CreateEnrollmentTokenBody = z
  .object({
    ttl: EnrollmentTtl.prefault(DEFAULT_ENROLLMENT_TTL),
    name: z.string().trim().min(1, "must not be empty").max(100).optional(),
  })
  .strict();
export type CreateEnrollmentTokenBody = z.infer<typeof CreateEnrollmentTokenBody>;

/**
 * What starts the agent once the enroll command (`commands.enroll.argv` of the answer) ran: `run`
 * with the data dir that command wrote the agent's identity to. The console's "Add agent" dialog
 * and `holdfast enroll-token create` show the same line.
 */
export function agentRunCommand(enrollArgv: readonly string[]): string {
  const i = enrollArgv.indexOf("--data-dir");
  const dataDir = i >= 0 && enrollArgv[i + 1] ? enrollArgv[i + 1]! : "/var/lib/holdfast-agent";
  return `holdfast-agent run --data-dir ${dataDir}`;
}
