import os from "node:os";
import type { Command } from "commander";
import { connectionLabel, renamesFromPairs } from "@holdfast/shared/protocol";
import { loadEnv } from "../env.js";

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** The restore code and the engines, loaded when a restore or verify runs: `run` never needs them (less idle memory). */
async function loadRestore() {
  const [registry, identityFile, targetConfig, fromFolder] = await Promise.all([
    import("../engines/registry.js"),
    import("../restore/read-identity-file.js"),
    import("../restore/read-target-config.js"),
    import("../restore/restore-from-folder.js"),
  ]);
  return { ...registry, ...identityFile, ...targetConfig, ...fromFolder };
}

interface RestoreFlags {
  from: string;
  to?: string;
  datasource?: string;
  dataDir?: string;
  identityFile?: string;
  overwrite?: boolean;
  globals?: boolean;
  database: string[];
  rename: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `holdfast-agent restore --from` and `verify --from`: restore without a control plane
 * (docs/disaster-recovery.md). Thin: the checks and the pipeline live in restore/restore-from-folder.ts.
 */
export function addRestoreCommands(program: Command, fail: (err: unknown) => never): void {
  program
    .command("restore")
    .description("Restore an artifact from a local folder, checked against its sidecar, with no control plane.")
    .requiredOption("--from <path>", "the artifact, its first part (<name>.part0001) or its sidecar (<name>.json)")
    .option("--to <config>", "JSON file: {\"engine\": ..., \"connection\": {...}} of the target (a password as passwordFile)")
    .option("--datasource <id>", "a datasource this agent stores, instead of --to (needs --data-dir or HOLDFAST_DATA_DIR)")
    .option("--data-dir <dir>", "agent data dir, for --datasource (default: HOLDFAST_DATA_DIR)")
    .option("--identity-file <file>", "age identity (AGE-SECRET-KEY-1...) of an encrypted artifact; mode 0600")
    .option("--overwrite", "restore into a target that is not empty", false)
    .option("--globals", "also apply the roles and tablespaces (a whole MariaDB server's: its users) the backup carries", false)
    .option("--database <pattern>", "a whole server's backup: restore only the databases this name or glob matches (repeat)", collect, [])
    .option("--rename <source=target>", "a whole server's backup: restore database source under the name target (repeat)", collect, [])
    .action(async (opts: RestoreFlags, cmd: Command) => {
      if ((opts.to === undefined) === (opts.datasource === undefined)) cmd.error("error: give exactly one of --to <config> and --datasource <id>", { exitCode: 2 });
      const abort = new AbortController();
      process.once("SIGINT", () => abort.abort());
      process.once("SIGTERM", () => abort.abort());
      try {
        const { defaultEngines, readIdentityFile, readTargetConfig, restoreFromFolder, storedTarget } = await loadRestore();
        const target = opts.to !== undefined ? await readTargetConfig(opts.to) : storedTarget(loadEnv({ dataDir: opts.dataDir }).dataDir, opts.datasource!);
        const identity = opts.identityFile !== undefined ? await readIdentityFile(opts.identityFile) : undefined;
        const { artifact, durationMs, warnings } = await restoreFromFolder(opts.from, {
          target,
          engines: defaultEngines({ tmpDir: os.tmpdir() }),
          identity,
          overwrite: opts.overwrite ?? false,
          globals: opts.globals ?? false,
          ...(opts.database.length > 0 ? { databases: { include: opts.database } } : {}),
          ...(opts.rename.length > 0 ? { rename: renamesFromPairs(opts.rename) } : {}),
          signal: abort.signal,
          progress,
        });
        for (const line of warnings.slice(0, 200)) progress(`restore: ${line}`);
        const { sidecar } = artifact;
        process.stdout.write(`restored run ${sidecar.runId} (${sidecar.engine}, ${sidecar.sizeBytes} bytes) into ${connectionLabel(target.connection)} in ${(durationMs / 1000).toFixed(1)} s\n`);
      } catch (err) {
        fail(err);
      }
    });

  program
    .command("verify")
    .description("Check an artifact in a local folder against its sidecar (every part's and the whole SHA-256); restores nothing.")
    .requiredOption("--from <path>", "the artifact, its first part (<name>.part0001) or its sidecar (<name>.json)")
    .option("--identity-file <file>", "also check that this age identity opens the encrypted artifact; mode 0600")
    .action(async (opts: { from: string; identityFile?: string }) => {
      try {
        const { readIdentityFile, verifyFromFolder } = await loadRestore();
        const identity = opts.identityFile !== undefined ? await readIdentityFile(opts.identityFile) : undefined;
        const { sidecar, files } = await verifyFromFolder(opts.from, { identity, progress });
        const sealed = sidecar.encrypted ? `, encrypted${identity !== undefined ? " (the identity opens it)" : ""}` : "";
        process.stdout.write(`ok: run ${sidecar.runId} (${sidecar.engine ?? "unknown engine"}), ${files.length} file(s), ${sidecar.sizeBytes} bytes, SHA-256 ${sidecar.sha256}${sealed}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
