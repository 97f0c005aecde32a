import { ERROR_CATALOG, type ErrorCode, ErrorCode as ErrorCodeSchema } from "@holdfast/shared";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { say } from "../remote/output.js";
import type { FollowOutcome } from "./follow-run.js";
import { bytesText } from "./progress-view.js";

const catalogued = (code: string | undefined | null): ErrorCode | null => (ErrorCodeSchema.safeParse(code).success ? (code as ErrorCode) : null);

/**
 * The end of a followed run, printed (`--json`: `{ run, deliveries }` on stdout) and as the exit
 * code: 0 when the run completed and, for a backup, every delivery completed; otherwise a CliError
 * (exit 1) with the catalog's code and action of what failed first.
 */
export function reportOutcome({ run, deliveries }: FollowOutcome, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ run, deliveries }, null, 2)}\n`);
  if (run.state !== "completed") {
    const code = catalogued(run.error?.code);
    const why = run.error?.message ?? run.cancelReason ?? run.state;
    throw new CliError(`Run ${run.runId} ${run.state}: ${why}`, EXIT.failed, code, code ? ERROR_CATALOG[code].action : null);
  }
  if (!json) {
    const size = run.sizeBytes === null ? "" : `, ${bytesText(run.sizeBytes)}`;
    say(`Run ${run.runId} completed${size}${run.sha256 ? `, sha256 ${run.sha256}` : ""}`);
    for (const d of deliveries) say(`  delivery to ${d.destinationName ?? d.destinationId}: ${d.state}${d.path ? ` (${d.path})` : ""}${d.error ? `: ${d.error.message}` : ""}`);
  }
  const failed = deliveries.find((d) => d.state !== "completed");
  if (failed) {
    const code = catalogued(failed.error?.code);
    throw new CliError(
      `Run ${run.runId} completed but its delivery to ${failed.destinationName ?? failed.destinationId} ${failed.state}: ${failed.error?.message ?? "no detail"}`,
      EXIT.failed,
      code,
      code ? ERROR_CATALOG[code].action : null,
    );
  }
}
