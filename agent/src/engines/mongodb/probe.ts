import { HoldfastError, type MongoConnection } from "@holdfast/shared/protocol";
import { killTree, redactSecrets, spawnTool, toolEnv } from "../spawn-tool.js";
import { parseArchivePrelude, type ArchivePrelude } from "./archive-prelude.js";
import { buildMongodumpArgs } from "./args.js";
import { createConfigFile } from "./config-file.js";
import { mongoToolFailure } from "./tools.js";

export interface ProbeRun {
  mongodump: string;
  tmpDir: string;
  timeoutMs: number;
}

/**
 * Starts `mongodump --archive` and stops it as soon as its prelude arrived: the connection and
 * credentials work, and the prelude says what the server holds. A tool that says nothing within
 * `timeoutMs` is stopped (an unreachable host answers in seconds, not mongodump's 30).
 */
export async function probePrelude(run: ProbeRun, connection: MongoConnection, what: string): Promise<ArchivePrelude> {
  const config = await createConfigFile(run.tmpDir, connection);
  try {
    const tool = spawnTool("mongodump", run.mongodump, buildMongodumpArgs(config.path, connection), toolEnv());
    let head = Buffer.alloc(0);
    let prelude: ArchivePrelude | null = null;
    let unreadable: Error | null = null;
    tool.stdout.on("data", (chunk: Buffer) => {
      if (prelude || unreadable) return;
      head = Buffer.concat([head, chunk]);
      try {
        prelude = parseArchivePrelude(head);
      } catch (err) {
        unreadable = err as Error;
      }
      if (prelude || unreadable) killTree(tool.child);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(tool.child);
    }, run.timeoutMs);
    const exit = await tool.exited.finally(() => clearTimeout(timer));
    if (prelude) return prelude;
    if (unreadable) throw new HoldfastError("DB_CONNECTION_TEST_FAILED", `${what}: mongodump wrote something other than an archive`, { cause: (unreadable as Error).message });
    if (timedOut) {
      // Silence is how an unreachable server looks to mongodump (it waits out server selection).
      throw new HoldfastError("DATABASE_UNREACHABLE", `${what}: mongodump did not answer within ${run.timeoutMs / 1000} s`, { stderr: redactSecrets(exit.stderrTail.trim(), config.secrets) });
    }
    throw mongoToolFailure("DB_CONNECTION_TEST_FAILED", `${what} (mongodump)`, exit, config.secrets);
  } finally {
    await config.remove();
  }
}
