import { type Command, Option } from "commander";
import { CreateDestinationBody, DestinationType, UpdateDestinationBody } from "@holdfast/shared";
import { call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { checked, defined, intFlag, numberFlag, readJsonObject } from "../remote/flags.js";
import { confirmOrRefuse, readSecret } from "../remote/input.js";
import { color, printDone, printItem, printList, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";
import { bytes, millis } from "../remote/units.js";
import { capText } from "./agents.js";

interface DestinationFlags {
  name?: string;
  type?: string;
  file?: string;
  path?: string;
  endpoint?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  storageClass?: string;
  allowPrivateEndpoint?: boolean;
  objectLock?: string;
  host?: string;
  port?: number;
  user?: string;
  hostKeySha256?: string;
  secretStdin?: boolean;
  secretFile?: string;
  privateKeyFile?: string;
  maxSizeGb?: string;
  default?: boolean;
  /** false: `--no-transfer-cap` (update). */
  transferCap?: number | boolean;
}

function addDestinationFlags(command: Command): Command {
  return command
    .option("--name <name>", "a name to pick it by")
    .option("--path <path>", "local: the folder (absolute, on the control plane's host); sftp: the folder on the server")
    .option("--endpoint <url>", "s3: an S3-compatible server's URL (absent: AWS)")
    .option("--region <region>", "s3: region (default us-east-1)")
    .option("--bucket <bucket>", "s3: bucket")
    .option("--prefix <prefix>", "s3: key prefix inside the bucket")
    .option("--force-path-style", "s3: bucket in the path, not the host name (MinIO and most S3-compatible servers)")
    .option("--access-key-id <id>", "s3: access key id (not a secret; the secret key comes from --secret-stdin or --secret-file)")
    .option("--storage-class <class>", "s3: storage class, e.g. STANDARD_IA")
    .option("--allow-private-endpoint", "s3: allow a link-local or cloud metadata endpoint")
    .option("--object-lock <mode:days>", "s3: write every object under S3 Object Lock, e.g. COMPLIANCE:30 or GOVERNANCE:7 (the bucket must have Object Lock enabled)")
    .option("--host <host>", "sftp: server")
    .option("--port <port>", "sftp: port (default 22)", intFlag)
    .option("--user <name>", "sftp: user")
    .option("--host-key-sha256 <fingerprint>", "sftp: the server's host key, SHA256:… as ssh-keygen -lf prints it")
    .option("--secret-stdin", "read the secret from stdin: s3 secret access key, sftp password")
    .option("--secret-file <path>", "read the secret from this file (same as --secret-stdin)")
    .option("--private-key-file <path>", "sftp: read an unencrypted private key from this file")
    .option("--max-size-gb <gb>", "a quota in GB (10^9 bytes)")
    .option("--transfer-cap <MiB/s>", "cap what is written to it, in MiB/s (fractions allowed, at least 0.1)", numberFlag)
    .option("--default", "deliver new backups here unless a run names its destinations");
}

/** The config fields the flags set, the type's secret in its own field; the type's schema checks them. */
async function configOf(type: string | undefined, flags: DestinationFlags): Promise<Record<string, unknown>> {
  const secret = await readSecret("secret", { stdin: flags.secretStdin, file: flags.secretFile });
  const privateKey = await readSecret("private key", { file: flags.privateKeyFile });
  if (secret !== undefined && type !== "s3" && type !== "sftp") throw new CliError(`A ${type ?? "destination"} destination takes no secret`, EXIT.usage);
  return defined({
    path: flags.path,
    endpoint: flags.endpoint,
    region: flags.region,
    bucket: flags.bucket,
    prefix: flags.prefix,
    forcePathStyle: flags.forcePathStyle,
    accessKeyId: flags.accessKeyId,
    storageClass: flags.storageClass,
    allowPrivateEndpoint: flags.allowPrivateEndpoint,
    objectLock: objectLockOf(flags.objectLock),
    host: flags.host,
    port: flags.port,
    username: flags.user,
    hostKeySha256: flags.hostKeySha256,
    secretAccessKey: type === "s3" ? secret : undefined,
    password: type === "sftp" ? secret : undefined,
    privateKey,
  });
}

/** `--object-lock MODE:DAYS` as the config's `{mode, days}`; the schema judges the values. */
function objectLockOf(flag: string | undefined): { mode: string; days: number } | undefined {
  if (flag === undefined) return undefined;
  const m = /^([A-Za-z]+):(\d+)$/.exec(flag);
  if (!m) throw new CliError(`--object-lock must be MODE:DAYS, such as COMPLIANCE:30, not ${JSON.stringify(flag)}`, EXIT.usage);
  return { mode: m[1]!, days: Number(m[2]) };
}

function maxSizeOf(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const n = Number(flag);
  if (!Number.isFinite(n)) throw new CliError(`--max-size-gb must be a number of GB, not ${JSON.stringify(flag)}`, EXIT.usage);
  return n;
}

/** Where a destination writes, in a few words. */
export function destinationWhere(d: { type: string; config: Record<string, unknown> }): string {
  const c = d.config;
  if (d.type === "s3") return `s3://${String(c.bucket)}/${String(c.prefix ?? "")}${c.endpoint ? ` at ${String(c.endpoint)}` : ""}`;
  if (d.type === "sftp") return `sftp://${String(c.username)}@${String(c.host)}:${String(c.port ?? 22)}${String(c.path)}`;
  return String(c.path);
}

/** `holdfast destinations list|show|create|update|delete|test`. */
export function registerDestinationsCommands(program: Command): void {
  const group = program.command("destinations").alias("destination").description("where backups are delivered: a local folder, S3, SFTP");

  group
    .command("list")
    .description("list destinations: id, name, type, where, default, quota, transfer cap")
    .action(
      remote(async ({ api, json }) => {
        const { items } = await call(api.destinations.$get());
        printList(
          items,
          [
            { header: "ID", value: (d) => d.id },
            { header: "NAME", value: (d) => d.name },
            { header: "TYPE", value: (d) => d.type },
            { header: "WHERE", value: (d) => destinationWhere(d) },
            { header: "DEFAULT", value: (d) => (d.isDefault ? "yes" : "") },
            { header: "QUOTA", value: (d) => (d.maxSizeGb === null ? "-" : `${d.maxSizeGb} GB`) },
            { header: "CAP", value: (d) => (d.transferCapMiBps === null ? "-" : capText(d.transferCapMiBps)) },
          ],
          { json, empty: "No destinations yet: holdfast destinations create --help" },
        );
      }),
    );

  group
    .command("show")
    .description("one destination and its config (secrets masked)")
    .argument("<destination>", "destination id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const d = await call(api.destinations[":id"].$get({ param: { id } }));
        printItem(d, [
          ["ID", d.id],
          ["Name", d.name],
          ["Type", d.type],
          ["Where", destinationWhere(d)],
          ["Config", JSON.stringify(d.config)],
          ["Default", d.isDefault ? "yes" : "no"],
          ["Quota", d.maxSizeGb === null ? "-" : `${d.maxSizeGb} GB`],
          ["Deletes", d.deleteDeniedAt === null ? "allowed" : color.yellow(`refused to its credentials since ${d.deleteDeniedAt}: retention keeps what it would delete`)],
          ["Transfer cap", capText(d.transferCapMiBps)],
          ["Created", d.createdAt],
        ], { json });
      }),
    );

  addDestinationFlags(
    group
      .command("create")
      .description("add a destination from flags or a JSON file; secrets from stdin or a file, never a flag")
      .addOption(new Option("--type <type>", "what it is").choices(DestinationType.options))
      .option("--file <config.json>", "the whole body as JSON (name, type, config, maxSizeGb, isDefault); flags given as well override it"),
  )
    .addHelpText("after", "\nExamples:\n  holdfast destinations create --type local --name nas --path /mnt/backups\n  printf %s \"$AWS_SECRET_ACCESS_KEY\" | holdfast destinations create --type s3 --name offsite \\\n      --bucket acme-backups --region eu-west-1 --access-key-id AKIA… --secret-stdin\n  holdfast destinations create --type sftp --name vault --host vault.internal --user backup \\\n      --host-key-sha256 SHA256:… --private-key-file ~/.ssh/holdfast --path /srv/backups")
    .action(
      remote(async ({ api, json }, flags: DestinationFlags) => {
        const fromFile = readJsonObject(flags.file);
        const type = flags.type ?? (typeof fromFile.type === "string" ? fromFile.type : undefined);
        const body = checked(
          CreateDestinationBody,
          {
            ...fromFile,
            ...defined({ name: flags.name, type, maxSizeGb: maxSizeOf(flags.maxSizeGb), isDefault: flags.default, transferCapMiBps: typeof flags.transferCap === "number" ? flags.transferCap : undefined }),
            config: { ...((fromFile.config as object | undefined) ?? {}), ...(await configOf(type, flags)) },
          },
          flags.file ?? "destination",
        );
        const d = await call(api.destinations.$post({ json: body }));
        printDone(d, { json, message: `Destination "${d.name}" created; holdfast destinations test ${d.id} checks that it takes a write.`, id: d.id });
      }),
    );

  addDestinationFlags(
    group
      .command("update")
      .description("change a destination: only the fields given change (its type never does)")
      .argument("<destination>", "destination id")
      .option("--no-quota", "remove the quota")
      .option("--no-transfer-cap", "remove the transfer cap")
      .option("--no-default", "stop being the default"),
  ).action(
    remote(async ({ api, json }, id: string, flags: DestinationFlags & { quota?: boolean; default?: boolean }) => {
      const current = await call(api.destinations[":id"].$get({ param: { id } }));
      const config = await configOf(current.type, flags);
      const body = checked(
        UpdateDestinationBody,
        {
          ...defined({
            name: flags.name,
            maxSizeGb: flags.quota === false ? null : maxSizeOf(flags.maxSizeGb),
            isDefault: flags.default,
            // `--no-transfer-cap` is declared before `--transfer-cap`: commander then defaults it to true.
            transferCapMiBps: flags.transferCap === false ? null : typeof flags.transferCap === "number" ? flags.transferCap : undefined,
          }),
          ...(Object.keys(config).length > 0 ? { config } : {}),
        },
        "destination update",
      );
      printDone(await call(api.destinations[":id"].$patch({ param: { id }, json: body })), { json, message: `Destination ${id} updated.` });
    }),
  );

  group
    .command("delete")
    .description("retire a destination: it takes no new deliveries and its credentials are wiped; what it holds is left there")
    .argument("<destination>", "destination id")
    .option("-y, --yes", "do not ask (needed without a terminal)")
    .action(
      remote(async ({ api, json }, id: string, flags: { yes?: boolean }) => {
        const d = await call(api.destinations[":id"].$get({ param: { id } }));
        if (!flags.yes) say(`Deleting destination "${d.name}" (${id}): no new deliveries go there and its credentials are wiped. The backups already there are left alone.`);
        await confirmOrRefuse(`Delete destination "${d.name}"?`, flags.yes);
        await call(api.destinations[":id"].$delete({ param: { id } }));
        printDone({ id, deleted: true }, { json, message: `Destination ${id} deleted.` });
      }),
    );

  group
    .command("test")
    .description("write, read back and delete a probe object: the time each took and the free space")
    .argument("<destination>", "destination id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const probe = await call(api.destinations[":id"].test.$post({ param: { id } }));
        printItem(probe, [
          [
            "Probe",
            probe.canDelete
              ? color.green(`${bytes(probe.bytes)} written, read back and deleted`)
              : color.yellow(`${bytes(probe.bytes)} written and read back; the credentials may not delete, so ${probe.leftBehind ?? "it"} stays and retention keeps what it would delete`),
          ],
          ["Write", millis(probe.writeMs)],
          ["Read", millis(probe.readMs)],
          ["Delete", millis(probe.deleteMs)],
          ["Free space", probe.freeSpaceBytes === null ? "(not known for this destination)" : bytes(probe.freeSpaceBytes)],
        ], { json });
      }),
    );
}
