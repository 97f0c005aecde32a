import { ListRunsQuery, RUNS_PAGE } from "@holdfast/shared";
import { type Command, Option } from "commander";
import { existsSync } from "node:fs";
import { followRun, type RunAnswer } from "../follow/follow-run.js";
import { reportOutcome } from "../follow/outcome.js";
import { bytesText, progressView, showTransfer } from "../follow/progress-view.js";
import { call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { color, printItem, printList, renderTable, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";
import { downloadArtifact } from "../transfer/download-artifact.js";
import { holdText, registerRunsHoldCommands } from "./runs-hold.js";
import { registerRunsStoredCommands } from "./runs-stored.js";

const stateColor = (state: string) => (state === "completed" ? color.green(state) : ["failed", "missed", "expired"].includes(state) ? color.red(state) : state === "running" ? color.cyan(state) : color.yellow(state));

const RUN_COLUMNS = [
  { header: "ID", value: (r: RunAnswer) => r.runId },
  { header: "KIND", value: (r: RunAnswer) => r.kind },
  { header: "STATE", value: (r: RunAnswer) => (r.hold ? `${stateColor(r.state)} (held)` : stateColor(r.state)) },
  { header: "TRIGGER", value: (r: RunAnswer) => r.trigger },
  { header: "DATASOURCE", value: (r: RunAnswer) => r.datasourceId },
  { header: "STARTED", value: (r: RunAnswer) => r.startedAt ?? r.queuedAt },
  { header: "SIZE", value: (r: RunAnswer) => (r.sizeBytes === null ? null : bytesText(r.sizeBytes)) },
  { header: "ERROR", value: (r: RunAnswer) => r.error?.code },
];

const positiveInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliError(`${name} must be a whole number of at least 1, not ${JSON.stringify(v)}`, EXIT.usage);
  return Number(v);
};

/** `holdfast runs …`: list, show, logs, events, cancel, wait, download (validate, copy in runs-stored.ts; hold, release in runs-hold.ts). */
export function registerRunsCommands(program: Command): void {
  const runs = program.command("runs").description("backup and restore runs: list, follow, download, validate, copy, hold");

  runs
    .command("list")
    .description("runs, newest first: id, kind, state, trigger, datasource, start, size, error")
    .option("--datasource <id>", "only this datasource's runs")
    .addOption(new Option("--status <state>", "only runs in this state").choices(ListRunsQuery.shape.state.unwrap().options))
    .addOption(new Option("--trigger <trigger>", "manual or schedule").choices(ListRunsQuery.shape.trigger.unwrap().options))
    .addOption(new Option("--kind <kind>", "backup, restore or drill").choices(ListRunsQuery.shape.kind.unwrap().options))
    .addOption(new Option("--days <n>", "only runs created in the last n days").argParser(positiveInt("--days")))
    .addOption(new Option("--limit <n>", `at most n runs (default ${RUNS_PAGE.default}; fetched ${RUNS_PAGE.max} a page; with --all, the page size)`).argParser(positiveInt("--limit")))
    .option("--all", "every matching run, page after page")
    .action(
      remote(async ({ api, json }, flags: { datasource?: string; status?: string; trigger?: string; kind?: string; days?: number; limit?: number; all?: boolean }) => {
        const parsed = ListRunsQuery.safeParse({
          datasourceId: flags.datasource,
          state: flags.status,
          trigger: flags.trigger,
          kind: flags.kind,
          ...(flags.days ? { from: new Date(Date.now() - flags.days * 86_400_000).toISOString() } : {}),
          ...(flags.limit ? { limit: Math.min(flags.limit, RUNS_PAGE.max) } : {}),
        });
        if (!parsed.success) throw new CliError(`${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`, EXIT.usage, "VALIDATION_FAILED");
        const { limit, ...filters } = parsed.data;
        // More than a page's worth (`--limit 500`) is fetched page after page, like --all.
        const want = flags.all ? Infinity : (flags.limit ?? limit);
        const items: RunAnswer[] = [];
        let cursor: string | undefined;
        do {
          const page = await call(api.runs.$get({ query: { ...filters, limit: String(limit), ...(cursor ? { cursor } : {}) } as never }));
          items.push(...page.items);
          cursor = items.length < want ? (page.nextCursor ?? undefined) : undefined;
        } while (cursor);
        printList(items.slice(0, want), RUN_COLUMNS, { json, empty: "No runs match." });
      }),
    );

  runs
    .command("show")
    .description("one run: state, times, size, SHA-256, error, and its deliveries")
    .argument("<run>", "run id")
    .action(
      remote(async ({ api, json }, runId: string) => {
        const [run, { items: deliveries }] = await Promise.all([call(api.runs[":runId"].$get({ param: { runId } })), call(api.runs[":runId"].deliveries.$get({ param: { runId } }))]);
        printItem({ ...run, deliveries }, [
          ["ID", run.runId],
          ["Kind", run.kind],
          ["State", stateColor(run.state)],
          ["Trigger", run.trigger],
          ["Datasource", run.datasourceId],
          ["Agent", run.agentId],
          ["Schedule", run.scheduleId],
          ["Source run", run.sourceRunId],
          ["Queued", run.queuedAt],
          ["Started", run.startedAt],
          ["Finished", run.finishedAt],
          ["Size", run.sizeBytes === null ? null : `${bytesText(run.sizeBytes)} (${run.sizeBytes} bytes)`],
          ["SHA-256", run.sha256],
          ["Encrypted", run.artifact ? (run.artifact.encrypted ? `yes, for ${run.artifact.recipient ?? "?"}` : "no") : null],
          ["Verified", run.verified === null ? null : run.verified ? "yes" : "no"],
          ["Hold", run.hold ? holdText(run.hold) : null],
          ["Error", run.error ? `${run.error.code}: ${run.error.message}` : null],
        ], { json });
        if (!json && deliveries.length > 0) {
          process.stdout.write(`\nDeliveries:\n`);
          process.stdout.write(
            renderTable(deliveries, [
              { header: "DESTINATION", value: (d) => d.destinationName ?? d.destinationId },
              { header: "STATE", value: (d) => stateColor(d.state) },
              { header: "ATTEMPTS", value: (d) => d.attempts },
              { header: "PATH", value: (d) => d.path },
              { header: "ERROR", value: (d) => (d.error ? `${d.error.code}: ${d.error.message}` : null) },
            ]),
          );
        }
      }),
    );

  runs
    .command("logs")
    .description("the run's log lines (kept on its agent: it must be online)")
    .argument("<run>", "run id")
    .action(
      remote(async ({ api, json }, runId: string) => {
        const logs = await call(api.runs[":runId"].logs.$get({ param: { runId } }));
        if (json) process.stdout.write(`${JSON.stringify(logs, null, 2)}\n`);
        else process.stdout.write(logs.lines.map((l) => `${l.at} ${l.level.toUpperCase().padEnd(5)} ${l.message}\n`).join(""));
      }),
    );

  runs
    .command("events")
    .description("the events the agent reported for the run, in order")
    .argument("<run>", "run id")
    .action(
      remote(async ({ api, json }, runId: string) => {
        const { items } = await call(api.runs[":runId"].events.$get({ param: { runId } }));
        printList(
          items,
          [
            { header: "SEQ", value: (e) => e.sequence },
            { header: "AT", value: (e) => e.occurredAt },
            { header: "TYPE", value: (e) => e.type },
            { header: "DATA", value: (e) => JSON.stringify(e.data) },
          ],
          { json, empty: `No events for run ${runId} yet.` },
        );
      }),
    );

  runs
    .command("cancel")
    .description("ask the agent to stop a queued or running run")
    .argument("<run>", "run id")
    .action(
      remote(async ({ api, json }, runId: string) => {
        const answer = await call(api.runs[":runId"].cancel.$post({ param: { runId }, json: {} }));
        if (json) process.stdout.write(`${JSON.stringify(answer)}\n`);
        else say(`Cancel of run ${runId} asked.`);
      }),
    );

  runs
    .command("wait")
    .description("follow a run (and a backup's deliveries) to its end: exit 0 when all completed, 1 otherwise")
    .argument("<run>", "run id")
    .action(
      remote(async ({ api, conn, json }, runId: string) => {
        reportOutcome(await followRun({ api, conn }, runId, progressView(runId), { waitDeliveries: true }), json);
      }),
    );

  runs
    .command("download")
    .description("download a backup's artifact: resumes a cut download (FILE.partial), checks the SHA-256 before FILE appears")
    .argument("<run>", "backup run id")
    .requiredOption("-o, --output <file>", "where to write the artifact")
    .option("--force", "replace FILE if it exists")
    .addOption(new Option("--idle-timeout <seconds>", "give up when nothing arrives for this long (the partial is kept)").default(60).argParser(positiveInt("--idle-timeout")))
    .action(
      remote(async ({ conn, json }, runId: string, flags: { output: string; force?: boolean; idleTimeout: number }) => {
        if (existsSync(flags.output) && !flags.force) throw new CliError(`${flags.output} exists: choose another -o, or --force to replace it`, EXIT.conflict);
        const result = await downloadArtifact(conn, runId, flags.output, { idleMs: flags.idleTimeout * 1000, meter: (m) => showTransfer("download", m) });
        if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          const resumed = result.resumedFrom > 0 ? ` (resumed at ${bytesText(result.resumedFrom)})` : "";
          say(`Downloaded ${flags.output}: ${bytesText(result.sizeBytes)}${resumed}, sha256 ${result.sha256} verified`);
        }
      }),
    );

  // `runs validate` and `runs copy` treat a stored backup as objects at its destinations.
  registerRunsStoredCommands(runs);
  registerRunsHoldCommands(runs);
}
