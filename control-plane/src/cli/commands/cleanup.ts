import type { DeleteOrphansAnswer, OrphansAnswer } from "@holdfast/shared";
import type { Command } from "commander";
import { createInterface } from "node:readline/promises";
import prettyBytes from "pretty-bytes";
import { call } from "../remote/client.js";
import { type Column, renderTable, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";
import { destinationOf } from "./destination-ref.js";

type Orphan = OrphansAnswer["items"][number];

/** One line per orphaned backup: its artifact's name, its run, and what removing it frees. */
export const orphanColumns: Column<Orphan>[] = [
  { header: "OBJECT", value: (o) => o.objectName },
  { header: "RUN", value: (o) => o.runId },
  { header: "BYTES", value: (o) => prettyBytes(o.bytes) },
  { header: "OBJECTS", value: (o) => o.objects.length },
];

/** "2 orphaned backups, 5 objects, 3.1 MB". */
export function orphansTotal(items: readonly Orphan[]): string {
  const objects = items.reduce((n, o) => n + o.objects.length, 0);
  const bytes = items.reduce((n, o) => n + o.bytes, 0);
  return `${items.length} orphaned ${items.length === 1 ? "backup" : "backups"}, ${objects} ${objects === 1 ? "object" : "objects"}, ${prettyBytes(bytes)}`;
}

/** What `--yes` did: each backup removed (with its objects), each skipped and why. */
export function deletionReport(answer: DeleteOrphansAnswer): string[] {
  return [
    ...answer.deleted.map((d) => `deleted ${d.objectName} (${d.objects.length} ${d.objects.length === 1 ? "object" : "objects"}, ${prettyBytes(d.bytes)})`),
    ...answer.skipped.map((s) => `skipped ${s.objectName}: ${s.reason}`),
  ];
}

/** Asks on a terminal; anything but yes is no. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * `holdfast cleanup DESTINATION [--yes]`: the backups at a destination that carry a Holdfast
 * sidecar but that no live delivery records. `--yes` removes exactly the ones this run listed, by
 * name: the control plane checks each again and skips one that became live meanwhile.
 */
export function registerCleanupCommands(program: Command): void {
  program
    .command("cleanup")
    .description("list backups at a destination that no delivery record holds (Holdfast sidecar, no live record); --yes removes exactly those")
    .argument("<destination>", "destination id or name")
    .option("--yes", "remove the orphans listed, without asking")
    .action(
      remote(async ({ api, json }, ref: string, opts: { yes?: boolean }) => {
        const destination = await destinationOf(api, ref);
        const { items } = await call(api.destinations[":id"].orphans.$get({ param: { id: destination.id } }));
        if (!json) {
          if (items.length === 0) {
            say(`Nothing to clean up at ${destination.name}: every Holdfast backup there has a live delivery record.`);
            return;
          }
          process.stdout.write(renderTable(items, orphanColumns));
          say(`${orphansTotal(items)} at ${destination.name}.`);
        }
        // A person at a terminal may say yes here; a script (no TTY, or --json) only with --yes.
        const interactive = !json && process.stdin.isTTY === true && process.stderr.isTTY === true;
        const go = opts.yes === true || (items.length > 0 && interactive && (await confirm(`Remove these ${items.length} from ${destination.name}?`)));
        if (!go || items.length === 0) {
          if (json) process.stdout.write(`${JSON.stringify({ destinationId: destination.id, items }, null, 2)}\n`);
          else say(`Nothing removed. To remove exactly these: holdfast cleanup ${destination.id} --yes`);
          return;
        }
        const answer = await call(api.destinations[":id"].orphans.delete.$post({ param: { id: destination.id }, json: { objectNames: items.map((o) => o.objectName) } }));
        if (json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
        else for (const line of deletionReport(answer)) process.stdout.write(`${line}\n`);
      }),
    );
}
