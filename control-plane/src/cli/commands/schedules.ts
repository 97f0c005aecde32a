import type { Command } from "commander";
import { type BlackoutWindow, CreateScheduleBody, NEXT_FIRINGS, RetentionPreviewQuery, UpdateScheduleBody } from "@holdfast/shared";
import { call } from "../remote/client.js";
import { blackoutFlag, checked, collect, defined, intFlag, readJsonObject } from "../remote/flags.js";
import { confirmOrRefuse } from "../remote/input.js";
import { blackoutText, color, printDone, printItem, printList, renderTable, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";

interface RetentionFlags {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  manualRetentionDays?: number;
}

interface ScheduleFlags extends RetentionFlags {
  datasource?: string;
  name?: string;
  cron?: string;
  timezone?: string;
  destination?: string[];
  verify?: boolean;
  paused?: boolean;
  retryAttempts?: number;
  retryBackoff?: number;
  file?: string;
  /** false: `--no-blackout`, none. */
  blackout?: BlackoutWindow[] | false;
  blackoutMisfire?: string;
}

function addRetentionFlags(command: Command): Command {
  return command
    .option("--keep-last <n>", "keep the newest N backups", intFlag)
    .option("--keep-daily <n>", "keep the newest backup of each of the last N days", intFlag)
    .option("--keep-weekly <n>", "… of each of the last N ISO weeks", intFlag)
    .option("--keep-monthly <n>", "… of each of the last N months", intFlag)
    .option("--keep-yearly <n>", "… of each of the last N years", intFlag)
    .option("--manual-retention-days <n>", "manual backups of the datasource go once older than N days (0: kept)", intFlag);
}

function retentionOf(flags: RetentionFlags) {
  const policy = defined({
    keepLast: flags.keepLast,
    keepDaily: flags.keepDaily,
    keepWeekly: flags.keepWeekly,
    keepMonthly: flags.keepMonthly,
    keepYearly: flags.keepYearly,
    manualRetentionDays: flags.manualRetentionDays,
  });
  return Object.keys(policy).length > 0 ? policy : undefined;
}

function addScheduleFlags(command: Command): Command {
  return addRetentionFlags(
    command
      .option("--name <name>", "a name (default: the datasource's)")
      .option("--cron <expression>", 'when it fires, e.g. "0 3 * * *" (holdfast schedules next shows the firings)')
      .option("--timezone <zone>", "the zone the cron reads in, e.g. Europe/Berlin (create default: this machine's)")
      .option("--destination <id>", "deliver to this destination (repeatable; replaces the list on update)", collect)
      .option("--retry-attempts <n>", "extra runs after a retryable failure (default 2)", intFlag)
      .option("--retry-backoff <minutes>", "minutes between them (default 5)", intFlag)
      .option("--blackout <window>", 'no firing starts then, in the schedule\'s zone: "mon,tue 01:00-05:00" (repeatable; replaces the list on update; 22:00-02:00 ends the next day)', blackoutFlag)
      .option("--no-blackout", "no blackout windows of its own (its agent's still apply)")
      .option("--blackout-misfire <defer|skip>", "a firing inside a window runs at its end (defer, the default) or is recorded missed (skip)"),
  );
}

function scheduleFields(flags: ScheduleFlags) {
  const retry = defined({ attempts: flags.retryAttempts, backoffMinutes: flags.retryBackoff });
  return defined({
    name: flags.name,
    cron: flags.cron,
    timezone: flags.timezone,
    destinationIds: flags.destination,
    retention: retentionOf(flags),
    verify: flags.verify,
    paused: flags.paused,
    retry: Object.keys(retry).length > 0 ? retry : undefined,
    blackout: flags.blackout === false ? [] : flags.blackout,
    blackoutMisfire: flags.blackoutMisfire,
  });
}

const retentionText = (r: Record<string, number | undefined> | null) =>
  r ? Object.entries(r).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(" ") || "keep all" : "keep all";

/** `holdfast schedules …` and `holdfast retention preview`. */
export function registerSchedulesCommands(program: Command): void {
  const group = program.command("schedules").alias("schedule").description("when each datasource is backed up, where to, and how long backups are kept");

  group
    .command("list")
    .description("list schedules: id, name, datasource, cron, next firing, paused")
    .action(
      remote(async ({ api, json }) => {
        const { items } = await call(api.schedules.$get());
        printList(
          items,
          [
            { header: "ID", value: (s) => s.id },
            { header: "NAME", value: (s) => s.name },
            { header: "DATASOURCE", value: (s) => s.datasourceId },
            { header: "CRON", value: (s) => `${s.cron} (${s.timezone})` },
            { header: "NEXT", value: (s) => (s.paused ? color.yellow("paused") : s.nextFireAt) },
            { header: "DESTINATIONS", value: (s) => s.destinationIds.join(",") },
          ],
          { json, empty: "No schedules yet: holdfast schedules create --help" },
        );
      }),
    );

  group
    .command("show")
    .description("one schedule: cron, destinations, retention, retry, next firing")
    .argument("<schedule>", "schedule id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const s = await call(api.schedules[":id"].$get({ param: { id } }));
        printItem(s, [
          ["ID", s.id],
          ["Name", s.name],
          ["Datasource", s.datasourceId],
          ["Cron", `${s.cron} (${s.timezone})`],
          ["Status", s.paused ? color.yellow("paused") : "active"],
          ["Next", s.nextFireAt],
          ["Last fired", s.lastFiredAt],
          ["Destinations", s.destinationIds.join(", ")],
          ["Retention", retentionText(s.retention)],
          ["Retry", `${s.retry.attempts} more, ${s.retry.backoffMinutes} min apart`],
          ["Verify", s.verify ? "a restore drill after each backup" : "no"],
          ["Blackout", s.blackout.length > 0 ? `${blackoutText(s.blackout)} (${s.timezone}; inside: ${s.blackoutMisfire === "skip" ? "skipped" : "run at the end"})` : "none"],
          ["Options", s.options ? JSON.stringify(s.options) : "-"],
        ], { json });
      }),
    );

  addScheduleFlags(
    group
      .command("create")
      .description("add a schedule from flags or a JSON file (backup options: in the file's options)")
      .option("--datasource <id>", "the datasource to back up")
      .option("--verify", "run a restore drill after each backup")
      .option("--paused", "create it paused")
      .option("--file <schedule.json>", "the whole body as JSON (the API's fields); flags given as well override it"),
  )
    .addHelpText("after", '\nExample:\n  holdfast schedules create --datasource DS --cron "0 3 * * *" --timezone Europe/Berlin \\\n      --destination DEST --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --blackout "mon,tue,wed,thu,fri 08:00-18:00"')
    .action(
      remote(async ({ api, json }, flags: ScheduleFlags) => {
        const fromFile = readJsonObject(flags.file);
        const timezone = flags.timezone ?? (fromFile.timezone === undefined ? Intl.DateTimeFormat().resolvedOptions().timeZone : undefined);
        const body = checked(CreateScheduleBody, { ...fromFile, ...scheduleFields({ ...flags, timezone }), ...defined({ datasourceId: flags.datasource }) }, flags.file ?? "schedule");
        const s = await call(api.schedules.$post({ json: body }));
        printDone(s, { json, message: `Schedule "${s.name}" created${s.nextFireAt ? `; it fires next at ${s.nextFireAt}` : ""}.`, id: s.id });
      }),
    );

  addScheduleFlags(
    group
      .command("update")
      .description("change a schedule: only the fields given change (its datasource never does: make a new schedule)")
      .argument("<schedule>", "schedule id")
      .option("--verify", "run a restore drill after each backup")
      .option("--no-verify", "stop the restore drills"),
  ).action(
    remote(async ({ api, json }, id: string, flags: ScheduleFlags) => {
      const body = checked(UpdateScheduleBody, scheduleFields(flags), "schedule update");
      printDone(await call(api.schedules[":id"].$patch({ param: { id }, json: body })), { json, message: `Schedule ${id} updated.` });
    }),
  );

  group
    .command("delete")
    .description("delete a schedule; its backups stay (retention no longer weighs them as its own)")
    .argument("<schedule>", "schedule id")
    .option("-y, --yes", "do not ask (needed without a terminal)")
    .action(
      remote(async ({ api, json }, id: string, flags: { yes?: boolean }) => {
        const s = await call(api.schedules[":id"].$get({ param: { id } }));
        await confirmOrRefuse(`Delete schedule "${s.name}" (${id})?`, flags.yes);
        await call(api.schedules[":id"].$delete({ param: { id } }));
        printDone({ id, deleted: true }, { json, message: `Schedule ${id} deleted.` });
      }),
    );

  for (const [verb, paused] of [["pause", true], ["resume", false]] as const) {
    group
      .command(verb)
      .description(paused ? "stop a schedule firing until resumed" : "let a paused schedule fire again")
      .argument("<schedule>", "schedule id")
      .action(
        remote(async ({ api, json }, id: string) => {
          const s = await call(paused ? api.schedules[":id"].pause.$post({ param: { id } }) : api.schedules[":id"].resume.$post({ param: { id } }));
          printDone(s, { json, message: paused ? `Schedule ${id} paused.` : `Schedule ${id} resumed; it fires next at ${s.nextFireAt}.` });
        }),
      );
  }

  group
    .command("next")
    .description("the next firings of a schedule, in its zone")
    .argument("<schedule>", "schedule id")
    .option("-n, --count <n>", `how many (default ${NEXT_FIRINGS.default}, at most ${NEXT_FIRINGS.max})`, intFlag)
    .action(
      remote(async ({ api, json }, id: string, flags: { count?: number }) => {
        const { next } = await call(api.schedules[":id"].next.$get({ param: { id }, query: defined({ count: flags.count === undefined ? undefined : String(flags.count) }) }));
        if (json) process.stdout.write(`${JSON.stringify(next, null, 2)}\n`);
        else if (next.length === 0) say("It is paused: no firings.");
        else process.stdout.write(`${next.join("\n")}\n`);
      }),
    );

  const retention = program.command("retention").description("what retention keeps and deletes");
  addRetentionFlags(
    retention
      .command("preview")
      .description("what the next retention pass would keep and delete for a schedule, per destination, and why; with --keep-* flags, what that policy would")
      .argument("<schedule>", "schedule id")
      .option("--timezone <zone>", "read the calendar in this zone instead of the schedule's"),
  ).action(
    remote(async ({ api, json }, id: string, flags: RetentionFlags & { timezone?: string }) => {
      const query = checked(RetentionPreviewQuery, defined({ ...retentionOf(flags), timezone: flags.timezone }), "retention preview");
      const asText = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
      const preview = await call(api.schedules[":id"].retention.preview.$get({ param: { id }, query: asText }));
      if (json) {
        process.stdout.write(`${JSON.stringify(preview, null, 2)}\n`);
        return;
      }
      say(`Policy: ${retentionText(preview.policy)} (${preview.timezone}); manual backups: ${preview.manualRetentionDays === 0 ? "kept" : `${preview.manualRetentionDays} days`}`);
      if (preview.destinations.length === 0) say("No backups of this schedule yet.");
      for (const d of preview.destinations) {
        say(`\n${d.destinationName ?? d.destinationId}: ${d.kept} kept, ${d.deleted} to delete`);
        process.stdout.write(
          renderTable(d.items, [
            { header: "RUN", value: (i) => i.runId },
            { header: "FINISHED", value: (i) => i.finishedAt },
            { header: "TRIGGER", value: (i) => i.trigger },
            { header: "OUTCOME", value: (i) => (i.keep ? color.green("keep") : color.red("delete")) },
            { header: "WHY", value: (i) => (i.keptBy ? `${i.keptBy.note} (the policy would delete it: ${i.reasons.join(", ")})` : i.reasons.join(", ")) },
          ]),
        );
      }
    }),
  );
}
