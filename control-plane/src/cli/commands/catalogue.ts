import type { CatalogueImportAnswer } from "@holdfast/shared";
import type { Command } from "commander";
import prettyBytes from "pretty-bytes";
import { call } from "../remote/client.js";
import { color, type Column, renderTable, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";
import { destinationOf } from "./destination-ref.js";

type Entry = CatalogueImportAnswer["entries"][number];

const outcomeColor = (o: Entry["outcome"]) => (o === "imported" ? color.green(o) : o === "invalid" ? color.red(o) : o);

/** One line per backup found at the destination (a Holdfast sidecar). */
export const importColumns: Column<Entry>[] = [
  { header: "RUN", value: (e) => e.runId },
  { header: "DATASOURCE", value: (e) => e.datasourceId },
  { header: "CREATED", value: (e) => e.createdAt },
  { header: "SIZE", value: (e) => prettyBytes(e.sizeBytes) },
  { header: "OUTCOME", value: (e) => outcomeColor(e.outcome) },
  { header: "REASON", value: (e) => e.reason },
];

/** "2 imported, 1 known, 0 invalid", and in a dry run that nothing was written. */
export function importSummary(answer: CatalogueImportAnswer): string {
  const n = (outcome: Entry["outcome"]) => answer.entries.filter((e) => e.outcome === outcome).length;
  const counts = `${n("imported")} ${answer.dryRun ? "to import" : "imported"}, ${n("known")} known, ${n("invalid")} invalid`;
  return answer.dryRun ? `Dry run, nothing was written: ${counts}.` : `${counts}.`;
}

/** `holdfast catalogue import DESTINATION [--dry-run]`. */
export function registerCatalogueCommands(program: Command): void {
  const catalogue = program.command("catalogue").description("the control plane's record of backups and where they are stored");

  catalogue
    .command("import")
    .description("record the backups found at a destination (from their Holdfast sidecars) that the catalogue lacks; known ones are left as they are")
    .argument("<destination>", "destination id or name")
    .option("--dry-run", "report what would be imported, write nothing")
    .action(
      remote(async ({ api, json }, ref: string, opts: { dryRun?: boolean }) => {
        const destination = await destinationOf(api, ref);
        const answer = await call(api.destinations[":id"].catalogue.import.$post({ param: { id: destination.id }, json: { dryRun: opts.dryRun === true } }));
        if (json) {
          process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
          return;
        }
        if (answer.entries.length === 0) say(`No Holdfast backup (no sidecar) at ${destination.name}.`);
        else process.stdout.write(renderTable(answer.entries, importColumns));
        say(importSummary(answer));
      }),
    );
}
