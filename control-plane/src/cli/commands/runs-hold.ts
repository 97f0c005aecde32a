import { HoldRunBody } from "@holdfast/shared";
import type { Command } from "commander";
import { call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { printDone } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";

/** A run's hold as the API shows it (GET /runs/:runId `hold`). */
export interface HoldView {
  heldAt: string;
  heldBy: string;
  reason: string;
}

/** One line: who held it, since when, why. */
export const holdText = (hold: HoldView): string => `held by ${hold.heldBy} since ${hold.heldAt}: ${hold.reason}`;

/** `holdfast runs hold|release`: a legal hold on a backup (admin; both in the audit log). */
export function registerRunsHoldCommands(runs: Command): void {
  runs
    .command("hold")
    .description("put a completed backup under a legal hold: retention and deletion leave its copies until it is released (admin)")
    .argument("<run>", "backup run id")
    .requiredOption("--reason <text>", "why it is held (a matter, a ticket): shown on the run and in the retention preview; holding again replaces it")
    .action(
      remote(async ({ api, json }, runId: string, flags: { reason: string }) => {
        // Checked here with the API's own schema: a bad reason is a usage error, and nothing is sent.
        const body = HoldRunBody.safeParse({ reason: flags.reason });
        if (!body.success) throw new CliError(`--reason ${body.error.issues[0]!.message}`, EXIT.usage, "VALIDATION_FAILED");
        const run = await call(api.runs[":runId"].hold.$post({ param: { runId }, json: body.data }));
        printDone(run, { json, message: `Run ${runId} ${run.hold ? holdText(run.hold) : "is not held"}` });
      }),
    );

  runs
    .command("release")
    .description("lift a backup's legal hold: the next retention pass treats it like any other (admin)")
    .argument("<run>", "backup run id")
    .action(
      remote(async ({ api, json }, runId: string) => {
        const run = await call(api.runs[":runId"].hold.$delete({ param: { runId } }));
        printDone(run, { json, message: `Run ${runId} released: retention may delete it again` });
      }),
    );
}
