import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { CLOSE_CODES, type Clock, systemClock } from "@holdfast/shared";
import { markAllAgentsOffline } from "./agents/presence.js";
import { createPuller, type Puller, type PullerOptions } from "./artifacts/pull-artifact.js";
import { UploadTokens } from "./artifacts/upload-tokens.js";
import { DownloadTokens } from "./artifacts/download-tokens.js";
import type { AppContext } from "./context.js";
import { openDatabase } from "./db/index.js";
import type { Env } from "./env.js";
import { createApp } from "./http/app.js";
import { LinkHub } from "./link/hub.js";
import { attachLinkServer } from "./link/link-server.js";
import { createLogger, type Logger } from "./logger.js";
import { loadMasterKey } from "./secrets/master-key.js";
import { SecretBox } from "./secrets/secret-box.js";

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  puller?: PullerOptions;
  /** Skip the "listening on" line (tests). */
  quiet?: boolean;
}

export interface RunningServer {
  url: string;
  ctx: AppContext;
  server: Server;
  puller: Puller;
  close(): Promise<void>;
}

/** Opens the database, starts HTTP and the agent link, resumes pending pulls. */
export async function startServer(env: Env, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.logger ?? createLogger(env.logLevel);
  const clock = opts.clock ?? systemClock;
  await mkdir(env.spoolDir, { recursive: true, mode: 0o700 });
  const secrets = new SecretBox(await loadMasterKey(env));
  const database = await openDatabase(env);

  // The parts refer to each other (sessions ingest events that kick the puller, which sends
  // commands over the link), so the context is filled in once they all exist.
  const ctx = { database, env, clock, log, secrets, uploads: new UploadTokens(clock), downloads: new DownloadTokens(clock) } as AppContext;
  const hub = new LinkHub(ctx);
  ctx.link = hub;
  const puller = createPuller(ctx, opts.puller);
  ctx.puller = puller;
  await markAllAgentsOffline(ctx);

  const app = createApp(ctx);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: env.host }) as Server;
  const link = attachLinkServer(ctx, server, hub);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.port, env.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = env.host.includes(":") ? `[${env.host}]` : env.host;
  const url = `http://${host}:${port}`;
  if (!opts.quiet) process.stderr.write(`holdfast listening on ${url}\n`);
  log.info({ url, database: database.dialect, spool: env.spoolDir }, "control plane started");
  await puller.resumeAll();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      link.close();
      puller.close();
      await hub.closeAll(CLOSE_CODES.serverShutdown, "control plane shutting down");
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Uploads in flight keep what they wrote; the agent resumes them from the offset.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await puller.idle();
      await database.close();
      log.info("control plane stopped");
    })();
    return closing;
  };
  return { url, ctx, server, puller, close };
}
