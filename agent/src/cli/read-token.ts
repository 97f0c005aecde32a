import fs from "node:fs";
import { HoldfastError } from "@holdfast/shared/protocol";

/** The enrollment token from --token, --token-file or HOLDFAST_ENROLL_TOKEN (file and env keep it out of `ps`). */
export function readEnrollToken(opts: { token?: string; tokenFile?: string }, env: NodeJS.ProcessEnv): string {
  if (opts.token && opts.tokenFile) throw new HoldfastError("VALIDATION_FAILED", "Pass either --token or --token-file, not both");
  const token = opts.token ?? (opts.tokenFile ? fs.readFileSync(opts.tokenFile, "utf8") : env.HOLDFAST_ENROLL_TOKEN);
  const trimmed = token?.trim();
  if (!trimmed) throw new HoldfastError("VALIDATION_FAILED", "No enrollment token: use --token-file, HOLDFAST_ENROLL_TOKEN or --token");
  return trimmed;
}
