import path from "node:path";
import { HoldfastError, type MysqlConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { startDump } from "../dump-handle.js";
import { redactSecrets, stderrLines, toolEnv } from "../spawn-tool.js";
import { requireToolVersion, toolVersionLine } from "../tool-version.js";
import type { DumpHandle, Fingerprint } from "../types.js";
import { buildDumpArgs } from "./args.js";
import { createOptionsFile } from "./option-file.js";
import { mysqlToolFailure } from "./query.js";
import { resolveTableSelection } from "./tables.js";
import { flavorOf } from "./tools.js";

/** What mariadb-dump and mysqldump write last when (and only when) they got to the end. */
const TRAILER = /(?:^|\n)-- Dump completed(?: on [^\n]*)?\s*$/;
const TAIL_BYTES = 256;

export interface MysqlDumpRun {
  dump: string;
  client: string;
  tmpDir: string;
  connection: MysqlConnection;
  options?: ResolvedBackupOptions;
  /** The fingerprint the restore drill compares against, computed on demand after the dump. */
  fingerprint: () => Promise<Fingerprint>;
}

/** Whether the last bytes of a dump are the tool's completion trailer. */
export function endsWithTrailer(tail: Buffer): boolean {
  return TRAILER.test(tail.toString("latin1"));
}

/**
 * Starts mariadb-dump (or mysqldump) and returns its stdout at once. `done` rejects DUMP_FAILED on a
 * non-zero exit and also when the output does not end with the `-- Dump completed` trailer: a
 * stream cut short (a killed tool, a tool that exits 0 after an error) never passes for a backup.
 * The options file lives exactly as long as the tool.
 */
export async function startMysqlDump(run: MysqlDumpRun): Promise<DumpHandle> {
  const { connection, options } = run;
  const name = path.basename(run.dump);
  const version = await requireToolVersion(run.dump);
  const flavor = flavorOf(version);
  const optionsFile = await createOptionsFile(run.tmpDir, connection);
  let args: string[];
  try {
    const clientVersion = (await toolVersionLine(run.client)) ?? version;
    const session = { client: run.client, flavor: flavorOf(clientVersion), optionsFile, connection };
    args = buildDumpArgs(optionsFile.path, connection, flavor, options, await resolveTableSelection(session, options?.tables));
  } catch (err) {
    await optionsFile.remove();
    throw err;
  }

  let tail = Buffer.alloc(0);
  return startDump({
    produce: async (dump) => {
      const exit = await dump.tool({
        name,
        bin: run.dump,
        args,
        env: toolEnv(),
        toOut: true,
        onStdout: (chunk) => {
          tail = Buffer.concat([tail, chunk]);
          if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
        },
        failure: (e) => mysqlToolFailure("DUMP_FAILED", name, e, optionsFile.secrets),
        warnings: (e) => stderrLines(e, optionsFile.secrets),
      });
      if (!endsWithTrailer(tail)) {
        throw new HoldfastError("DUMP_FAILED", `${name} exited 0 but its output ends without the "-- Dump completed" trailer`, {
          stderr: redactSecrets(exit.stderrTail.trim(), optionsFile.secrets),
        });
      }
    },
    cleanup: () => optionsFile.remove(),
    sourceFingerprint: run.fingerprint,
  });
}
