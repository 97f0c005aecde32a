import { type Command, Option } from "commander";
import { CreateDatasourceBody, describePriority, Engine, TlsMode, UpdateDatasourceBody } from "@holdfast/shared";
import { call } from "../remote/client.js";
import { EXIT } from "../remote/exit-codes.js";
import { checked, collect, defined, intFlag, readJsonObject } from "../remote/flags.js";
import { confirmOrRefuse, readSecret } from "../remote/input.js";
import { color, printDone, printItem, printList, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";
import { bytes, millis } from "../remote/units.js";

/** The flags create and update share; each engine takes its own (a sqlite datasource has no --host). */
interface DatasourceFlags {
  agent?: string;
  name?: string;
  engine?: string;
  file?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  authDatabase?: string;
  path?: string;
  include?: string[];
  exclude?: string[];
  tls?: string;
  tlsCaFile?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
  maxDuration?: number;
  nice?: number;
  ioClass?: string;
  ioLevel?: number;
  tag?: string[];
  note?: string;
  test?: boolean;
}

function addDatasourceFlags(command: Command, forCreate: boolean): Command {
  return command
    .option("--name <name>", "a name, unique among the agent's datasources")
    .option("--host <host>", "database server host, IP or socket folder (postgres, mysql, mongodb)")
    .option("--port <port>", "database server port (default: the engine's)", intFlag)
    .option("--database <name>", "database to back up (postgres, mysql; mongodb: default all)")
    .option("--user <name>", "database user (postgres, mysql, mongodb)")
    .option("--auth-database <name>", "the database the user authenticates against (mongodb)")
    .option("--path <path>", "absolute path on the agent's host: the database file (sqlite) or folder (files)")
    .option("--include <glob>", "files: a glob to back up, relative to --path (repeatable)", collect)
    .option("--exclude <glob>", "files: a glob to leave out (repeatable)", collect)
    .addOption(new Option("--tls <mode>", "TLS to the database server").choices(TlsMode.options))
    .option("--tls-ca-file <path>", "CA file on the agent's host to check the server with (verify-ca, verify-full)")
    .option("--password-stdin", "read the database password from stdin (it is sealed on the agent)")
    .option("--password-file <path>", "a file ON THE AGENT'S HOST the agent reads the password from at each run")
    .option("--max-duration <minutes>", "stop a run that takes longer", intFlag)
    .option("--nice <0-19>", `CPU niceness of its dump and restore tools on the agent's host${forCreate ? "" : " (any priority flag replaces the priority)"}`, intFlag)
    .addOption(new Option("--io-class <class>", "I/O class of its tools (ionice)").choices(["best-effort", "idle"]))
    .option("--io-level <0-7>", "best-effort I/O level: 0 first, 7 last", intFlag)
    .option("--tag <tag>", `a label to sort by (repeatable${forCreate ? "" : "; replaces the tags"})`, collect)
    .option("--note <text>", "free text: owner, runbook")
    .option("--no-test", "store it without connecting through the agent first");
}

/** The priority the flags set, or undefined when none is given (the schema checks the values). */
function priorityOf(flags: DatasourceFlags): Record<string, unknown> | undefined {
  const p = defined({ nice: flags.nice, ioClass: flags.ioClass, ioLevel: flags.ioLevel });
  return Object.keys(p).length > 0 ? p : undefined;
}

/** The connection fields the flags set; the engine's schema says which it takes. */
function connectionOf(flags: DatasourceFlags, password: string | undefined): Record<string, unknown> {
  return defined({
    host: flags.host,
    port: flags.port,
    database: flags.database,
    username: flags.user,
    authDatabase: flags.authDatabase,
    path: flags.path,
    include: flags.include,
    exclude: flags.exclude,
    tls: flags.tls ? defined({ mode: flags.tls, caFile: flags.tlsCaFile }) : undefined,
    password,
    passwordFile: flags.passwordFile,
  });
}

/** Where the datasource is, in a few words: `db.example:5432/shop`, `/srv/app.db`. */
export function whereIs(ds: { engine: string; connection: Record<string, unknown> }): string {
  const c = ds.connection;
  if (typeof c.path === "string") return c.path;
  return `${String(c.host)}${c.port ? `:${String(c.port)}` : ""}${c.database ? `/${String(c.database)}` : ""}`;
}

async function passwordFrom(flags: DatasourceFlags): Promise<string | undefined> {
  return readSecret("database password", { stdin: flags.passwordStdin });
}

/** `holdfast datasources list|show|create|update|delete|test|preflight|databases`. */
export function registerDatasourcesCommands(program: Command): void {
  const group = program.command("datasources").alias("datasource").description("the databases and folders agents back up");

  group
    .command("list")
    .description("list datasources: id, name, engine, where, agent, tags")
    .option("--tag <tag>", "only those with this tag")
    .option("--agent <id>", "only those of this agent")
    .action(
      remote(async ({ api, json }, flags: { tag?: string; agent?: string }) => {
        const { items } = await call(api.datasources.$get({ query: defined({ tag: flags.tag, agentId: flags.agent }) }));
        printList(
          items,
          [
            { header: "ID", value: (d) => d.id },
            { header: "NAME", value: (d) => d.name },
            { header: "ENGINE", value: (d) => d.engine },
            { header: "WHERE", value: (d) => whereIs(d) },
            { header: "AGENT", value: (d) => d.agentId },
            { header: "TAGS", value: (d) => d.tags.join(",") || "-" },
          ],
          { json, empty: "No datasources yet: holdfast datasources create --help" },
        );
      }),
    );

  group
    .command("show")
    .description("one datasource and its connection (the password masked)")
    .argument("<datasource>", "datasource id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const ds = await call(api.datasources[":id"].$get({ param: { id } }));
        const connection = Object.entries(ds.connection).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" ");
        printItem(ds, [
          ["ID", ds.id],
          ["Name", ds.name],
          ["Engine", ds.engine],
          ["Agent", ds.agentId],
          ["Connection", connection],
          ["Max duration", `${ds.maxDurationMinutes} min`],
          ["Priority", ds.priority ? describePriority(ds.priority) : "the agent's defaults"],
          ["Tags", ds.tags.join(", ") || "-"],
          ["Note", ds.note],
          ["Created", ds.createdAt],
        ], { json });
      }),
    );

  addDatasourceFlags(
    group
      .command("create")
      .description("add a datasource from flags or a JSON file; the agent connects to it first unless --no-test")
      .option("--agent <id>", "the agent that reaches the database")
      .addOption(new Option("--engine <engine>", "what it is").choices(Engine.options))
      .option("--file <config.json>", "the whole body as JSON (the API's fields: agentId, name, engine, connection, …); flags given as well override it"),
    true,
  )
    .addHelpText("after", "\nExamples:\n  printf %s \"$PGPASSWORD\" | holdfast datasources create --agent AGENT --name shop --engine postgres \\\n      --host db.internal --database shop --user backup --password-stdin\n  holdfast datasources create --agent AGENT --name app --engine sqlite --path /srv/app/app.db\n  holdfast datasources create --file shop.json --password-stdin < password.txt")
    .action(
      remote(async ({ api, json }, flags: DatasourceFlags) => {
        const fromFile = readJsonObject(flags.file);
        const password = await passwordFrom(flags);
        const body = checked(
          CreateDatasourceBody,
          {
            ...fromFile,
            ...defined({ agentId: flags.agent, name: flags.name, engine: flags.engine, maxDurationMinutes: flags.maxDuration, priority: priorityOf(flags), tags: flags.tag, note: flags.note }),
            connection: { ...((fromFile.connection as object | undefined) ?? {}), ...connectionOf(flags, password) },
            ...(flags.test === false ? { test: false } : {}),
          },
          flags.file ?? "datasource",
        );
        if (body.test) say(color.dim(`Connecting to it through agent ${body.agentId}…`));
        const ds = await call(api.datasources.$post({ json: body }));
        printDone(ds, { json, message: `Datasource "${ds.name}" created.`, id: ds.id });
      }),
    );

  addDatasourceFlags(
    group
      .command("update")
      .description("change a datasource: only the fields given change; a changed connection is tested through the agent unless --no-test")
      .argument("<datasource>", "datasource id")
      .option("--clear-password", "remove the stored password (with --password-file, or for trust/peer authentication)")
      .option("--default-priority", "run its tools at the agent's default priority again"),
    false,
  ).action(
    remote(async ({ api, json }, id: string, flags: DatasourceFlags & { clearPassword?: boolean; defaultPriority?: boolean }) => {
      const password = await passwordFrom(flags);
      const connection = { ...connectionOf(flags, password), ...(flags.clearPassword ? { password: null } : {}) };
      const body = checked(
        UpdateDatasourceBody,
        {
          ...defined({ name: flags.name, maxDurationMinutes: flags.maxDuration, priority: flags.defaultPriority ? null : priorityOf(flags), tags: flags.tag, note: flags.note }),
          ...(Object.keys(connection).length > 0 ? { connection } : {}),
          ...(flags.test === false ? { test: false } : {}),
        },
        "datasource update",
      );
      printDone(await call(api.datasources[":id"].$patch({ param: { id }, json: body })), { json, message: `Datasource ${id} updated.` });
    }),
  );

  group
    .command("delete")
    .description("retire a datasource: the agent forgets its config and password, its schedules pause; its backups stay restorable")
    .argument("<datasource>", "datasource id")
    .option("-y, --yes", "do not ask (needed without a terminal)")
    .action(
      remote(async ({ api, json }, id: string, flags: { yes?: boolean }) => {
        const ds = await call(api.datasources[":id"].$get({ param: { id } }));
        if (!flags.yes) {
          say(`Deleting datasource "${ds.name}" (${id}): its agent forgets its connection and password, and its schedules are paused.`);
          say("Its runs and backups stay listed, downloadable and restorable into another datasource.");
        }
        await confirmOrRefuse(`Delete datasource "${ds.name}"?`, flags.yes);
        const retired = await call(api.datasources[":id"].$delete({ param: { id } }));
        const paused = retired.pausedScheduleIds.length > 0 ? ` Paused schedules: ${retired.pausedScheduleIds.join(", ")}` : "";
        printDone(retired, { json, message: `Datasource ${id} deleted.${paused}` });
      }),
    );

  group
    .command("test")
    .description("connect to it through its agent: latency, server version, size (exit 1 when it cannot)")
    .argument("<datasource>", "datasource id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const test = await call(api.datasources[":id"].test.$post({ param: { id } }));
        printItem(test, [
          ["Connected", color.green("yes")],
          ["Latency", millis(test.latencyMs)],
          ["Server", test.serverVersion],
          ["Size", bytes(test.databaseSizeBytes)],
        ], { json });
      }),
    );

  group
    .command("preflight")
    .description("check what a backup needs on the agent: dump tool and version, codec, staging space (exit 1 when something blocks)")
    .argument("<datasource>", "datasource id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const pre = await call(api.datasources[":id"].preflight.$post({ param: { id } }));
        const t = pre.toolStatus;
        printItem(pre, [
          ["Ready", pre.ok ? color.green("yes") : color.red("no")],
          ["Tool", `${t.tool} ${t.found ? (t.version ?? "") : color.red("not found")}`],
          ["Compatible", t.compatible === null ? "-" : t.compatible ? "yes" : color.red(`no (tool ${t.toolMajor}, server ${t.serverMajor})`)],
          ["Codec", `${t.codec.name}${t.codec.available ? "" : color.red(" (not available)")}`],
          ["Staging", `${t.stagingWritable ? "writable" : color.red("not writable")}, ${bytes(t.freeBytes)} free`],
          ["Last dump", bytes(t.lastDumpBytes)],
          ...pre.blockingIssues.map((i) => ["Blocking", color.red(`${i.message} (${i.code})`)] as [string, string]),
          ...pre.warnings.map((i) => ["Warning", color.yellow(`${i.message} (${i.code})`)] as [string, string]),
        ], { json });
        if (!pre.ok) process.exitCode = EXIT.failed;
      }),
    );

  group
    .command("databases")
    .description("the databases the datasource's credentials can see on its server")
    .argument("<datasource>", "datasource id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const { items } = await call(api.datasources[":id"].databases.$get({ param: { id } }));
        printList(items, [
          { header: "NAME", value: (d) => d.name },
          { header: "SIZE", value: (d) => bytes(d.sizeBytes) },
        ], { json, empty: "The server shows no databases to these credentials." });
      }),
    );
}
