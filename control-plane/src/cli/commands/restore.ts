import { renamesFromPairs, RestoreRunBody } from "@holdfast/shared";
import { type Command, Option } from "commander";
import { followRun } from "../follow/follow-run.js";
import { reportOutcome } from "../follow/outcome.js";
import { progressView } from "../follow/progress-view.js";
import { readIdentityFile } from "../keys/identity-file.js";
import { call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { say } from "../remote/output.js";
import { collect } from "../remote/flags.js";
import { remote } from "../remote/remote-command.js";

/** `holdfast restore RUN --to DATASOURCE`. */
export function registerRestoreCommands(program: Command): void {
  program
    .command("restore")
    .description("restore a backup run into a datasource; --wait follows the restore to its end")
    .argument("<run>", "the backup run to restore")
    .requiredOption("--to <datasource>", "the datasource to restore into")
    .option("--overwrite", "restore into a target that is not empty (its objects are replaced)")
    .option("--identity-file <file>", "the age identity of an encrypted backup (a 0600 file; sent for this restore only, never stored)")
    .option("--globals", "also apply the roles and tablespaces (a whole MariaDB server's: its users) the backup carries")
    .addOption(new Option("--database <pattern>", "a whole server's backup: restore only the databases this name or glob matches (repeat)").default([]).argParser(collect))
    .addOption(new Option("--rename <source=target>", "a whole server's backup: restore database source under the name target (repeat)").default([]).argParser(collect))
    .option("--wait", "follow the restore to its end: exit 0 when it completed, 1 otherwise")
    .action(
      remote(async ({ api, conn, json }, sourceRunId: string, flags: { to: string; overwrite?: boolean; identityFile?: string; globals?: boolean; database: string[]; rename: string[]; wait?: boolean }) => {
        const identity = flags.identityFile ? readIdentityFile(flags.identityFile) : undefined;
        const parsed = RestoreRunBody.safeParse({
          targetDatasourceId: flags.to,
          options: {
            ...(flags.overwrite ? { overwrite: true } : {}),
            ...(flags.globals ? { globals: true } : {}),
            ...(identity ? { identity } : {}),
            ...(flags.database.length > 0 ? { databases: { include: flags.database } } : {}),
            ...(flags.rename.length > 0 ? { rename: renamesFromPairs(flags.rename) } : {}),
          },
        });
        // The issue names the field only: a zod message here never carries the identity.
        if (!parsed.success) throw new CliError(`${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`, EXIT.usage, "VALIDATION_FAILED");
        const { runId } = await call(api.runs[":runId"].restore.$post({ param: { runId: sourceRunId }, json: parsed.data }));
        if (!flags.wait) {
          if (json) process.stdout.write(`${JSON.stringify({ runId })}\n`);
          else process.stdout.write(`${runId}\n`);
          return;
        }
        say(`Restore started: run ${runId}`);
        reportOutcome(await followRun({ api, conn }, runId, progressView(runId), { waitDeliveries: false }), json);
      }),
    );
}
