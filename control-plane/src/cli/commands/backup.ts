import { errorFromResponse, StartBackupBody } from "@holdfast/shared";
import { type Command, Option } from "commander";
import { chooseDestinations } from "../backup/choose-destinations.js";
import { parseOptionPairs } from "../backup/option-pairs.js";
import { followRun } from "../follow/follow-run.js";
import { reportOutcome } from "../follow/outcome.js";
import { progressView } from "../follow/progress-view.js";
import { cliErrorOfApi } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";

const collect = (value: string, previous: string[]) => [...previous, value];

/** `holdfast backup run`. */
export function registerBackupCommands(program: Command): void {
  const backup = program.command("backup").description("take a backup now");

  backup
    .command("run")
    .description("back up a datasource now; --wait follows it to the end (progress, deliveries) and exits with its outcome")
    .argument("<datasource>", "datasource id")
    .addOption(new Option("--destination <id>", "deliver here (repeat for several; default: the destinations of the datasource's schedules, or the only one there is)").default([]).argParser(collect))
    .addOption(new Option("--option <key=value>", "a backup option, e.g. format=custom, compression.codec=zstd, tables.include=public.orders, encryption.recipient=age1…, verify=true (repeat)").default([]).argParser(collect))
    .option("--wait", "follow the run and its deliveries to their end: exit 0 when all completed, 1 otherwise")
    .option("--force", "run even inside a blackout window of the datasource's agent (the audit records it)")
    .action(
      remote(async ({ api, conn, json }, datasourceId: string, flags: { destination: string[]; option: string[]; wait?: boolean; force?: boolean }) => {
        const options = parseOptionPairs(flags.option);
        const destinationIds = await chooseDestinations(api, datasourceId, flags.destination);
        const body = StartBackupBody.parse({ destinationIds, ...(options ? { options } : {}), ...(flags.force ? { force: true } : {}) });
        const res = await api.datasources[":id"].backups.$post({ param: { id: datasourceId }, json: body });
        if (!res.ok) {
          const error = await errorFromResponse(res as unknown as Response);
          if (error.code === "BACKUP_ALREADY_RUNNING") {
            const running = typeof error.details?.runId === "string" ? error.details.runId : null;
            if (json && running) process.stdout.write(`${JSON.stringify({ runningRunId: running })}\n`);
            throw new CliError(`A backup of ${datasourceId} is already running${running ? `: run ${running} (holdfast runs wait ${running})` : ""}`, EXIT.conflict, error.code, error.action);
          }
          if (error.code === "BLACKOUT_WINDOW") {
            const ends = typeof error.details?.endsAt === "string" ? ` It ends at ${error.details.endsAt}.` : "";
            throw new CliError(`${error.message}.${ends} Add --force to run it anyway.`, EXIT.conflict, error.code, error.action);
          }
          const refused = cliErrorOfApi(error);
          // A start the agent refused is still recorded, as a failed run: name it for `runs show`.
          if (typeof error.details?.runId === "string") throw new CliError(`${refused.message} (run ${error.details.runId} failed)`, refused.exitCode, refused.code, refused.action);
          throw refused;
        }
        const { runId } = await res.json();
        if (!flags.wait) {
          if (json) process.stdout.write(`${JSON.stringify({ runId })}\n`);
          else process.stdout.write(`${runId}\n`);
          return;
        }
        say(`Backup started: run ${runId}`);
        reportOutcome(await followRun({ api, conn }, runId, progressView(runId), { waitDeliveries: true }), json);
      }),
    );
}
