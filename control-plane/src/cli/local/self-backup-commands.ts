import { readFileSync, statSync } from "node:fs";
import { AgeRecipient } from "@holdfast/shared";
import type { Command } from "commander";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { reportFailure } from "../remote/remote-command.js";
import { config, dataDir } from "./commands.js";

// `backup-self` and `restore-self`: the control plane's own database to one file and back
// (docs/disaster-recovery.md, "The control plane itself"). Like the other local commands they load
// the database modules only when they run. stdout carries the result; messages go to stderr.

const say = (line: string) => process.stderr.write(`${line}\n`);

type LocalFlags = { dataDir?: string; config?: string };

/** The settings as `serve` reads them (data dir, database URL, master key), config file included. */
async function envOf(flags: LocalFlags) {
  const { loadConfiguredEnv } = await import("../../config/config-file.js");
  return loadConfiguredEnv(flags);
}

/** Recipients from --recipient and the lines of --recipient-file (comments and blank lines skipped), each checked. */
function recipientsOf(flags: { recipient?: string[]; recipientFile?: string }): string[] {
  const listed = [...(flags.recipient ?? [])];
  if (flags.recipientFile) {
    let text: string;
    try {
      if (statSync(flags.recipientFile).size > 1024 * 1024) throw new CliError(`${flags.recipientFile} is not an age recipients file (over 1 MiB)`, EXIT.usage);
      text = readFileSync(flags.recipientFile, "utf8");
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`Cannot read ${flags.recipientFile}: ${(err as Error).message}`, EXIT.usage);
    }
    listed.push(...text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#")));
  }
  for (const r of listed) {
    if (!AgeRecipient.safeParse(r).success) throw new CliError(`"${r.slice(0, 70)}" is not an age X25519 recipient (age1…)`, EXIT.usage);
  }
  return listed;
}

const rows = (n: number) => `${n} row${n === 1 ? "" : "s"}`;

/** `holdfast backup-self` and `holdfast restore-self`. */
export function registerSelfBackupCommands(program: Command): void {

  program
    .command("backup-self")
    .description("export the control plane's own database (users, agents, destinations, schedules, runs…) to one file")
    .requiredOption("-o, --output <file>", "the export to write (0600; replaced atomically when it exists)")
    .option("--recipient <age1…>", "encrypt with age for this recipient (repeatable)", (v: string, acc: string[] = []) => [...acc, v])
    .option("--recipient-file <file>", "encrypt for every recipient in this file (one age1… a line)")
    .option("--include-master-key", "put the master key in the export too (only when encrypted)")
    .addOption(dataDir())
    .addOption(config())
    .action(async (flags: LocalFlags & { output: string; recipient?: string[]; recipientFile?: string; includeMasterKey?: boolean }) => {
      try {
        const recipients = recipientsOf(flags);
        const [env, { openDatabase }, { existingMasterKey }, { writeSelfExport }] = await Promise.all([
          envOf(flags),
          import("../../db/index.js"),
          import("../../self-backup/master-key-note.js"),
          import("../../self-backup/write-export.js"),
        ]);
        const masterKey = await existingMasterKey(env);
        const database = await openDatabase(env);
        try {
          const summary = await writeSelfExport(database, { file: flags.output, recipients, masterKey, includeMasterKey: flags.includeMasterKey === true });
          const h = summary.header;
          for (const t of h.tables) say(`  ${t.name.padEnd(24)} ${rows(t.rows)}`);
          say(
            `holdfast: ${database.dialect} database at migration ${h.migration} exported to ${summary.file}` +
              `${summary.encrypted ? `, encrypted for ${recipients.length} age recipient(s)` : ", NOT encrypted (it holds password hashes and sealed secrets: keep it private)"}` +
              `${h.masterKey?.key ? ", master key included" : h.masterKey ? `; its secrets need master key ${h.masterKey.id.slice(0, 23)}… (not in the export)` : ""}`,
          );
          process.stdout.write(`${summary.file}\tsha256:${summary.sha256}\n`);
        } finally {
          await database.close();
        }
      } catch (err) {
        reportFailure(err);
      }
    });

  program
    .command("restore-self")
    .description("load an export of backup-self into a new, empty database (one transaction, verified first)")
    .requiredOption("-i, --input <file>", "the export to restore")
    .option("--identity-file <file>", "the age identity that opens an encrypted export (a 0600 file)")
    .option("--force", "replace what the database holds; restore without working secrets when the master key does not match")
    .option("--check", "verify the export (and the key) only; touch no database")
    .addOption(dataDir())
    .addOption(config())
    .action(async (flags: LocalFlags & { input: string; identityFile?: string; force?: boolean; check?: boolean }) => {
      try {
        const { readIdentityFile } = await import("../keys/identity-file.js");
        const identity = flags.identityFile ? readIdentityFile(flags.identityFile) : undefined;
        const [env, { readSelfExport }] = await Promise.all([envOf(flags), import("../../self-backup/read-export.js")]);
        // The whole file is read and checked before any database is opened: a damaged export, or a
        // wrong key, leaves the target exactly as it was (not even created).
        const header = await readSelfExport(flags.input, { identity });
        const total = header.tables.reduce((n, t) => n + t.rows, 0);
        say(`holdfast: the export is whole: ${rows(total)} from a ${header.dialect} database at migration ${header.migration}, Holdfast ${header.holdfastVersion}, made ${header.createdAt}`);
        if (flags.check) {
          for (const t of header.tables) process.stdout.write(`${t.name}\t${t.rows}\n`);
          return;
        }
        const [{ openDatabase }, keys, { restoreSelfExport }] = await Promise.all([
          import("../../db/index.js"),
          import("../../self-backup/master-key-note.js"),
          import("../../self-backup/restore-export.js"),
        ]);
        const plan = keys.planMasterKey(header.masterKey, await keys.existingMasterKey(env), env, flags.force === true);
        const database = await openDatabase(env);
        try {
          const summary = await restoreSelfExport(database, flags.input, header, { identity, force: flags.force === true });
          for (const t of summary.tables) process.stdout.write(`${t.name}\t${t.rows}\n`);
        } finally {
          await database.close();
        }
        if (plan.kind === "install") {
          await keys.installMasterKey(env, plan.key);
          say(`holdfast: the export's master key written to ${env.masterKeyFile} (0600)`);
        }
        if (plan.kind === "without-secrets") say("holdfast: restored WITHOUT the master key the secrets were sealed with: enter each destination's and channel's secrets again");
        say(`holdfast: restored into the ${database.dialect} database; start the control plane (holdfast serve) with the same master key`);
      } catch (err) {
        reportFailure(err);
      }
    });
}
