import type { Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { CLOSE_CODES, type Clock, type LiveEventRoles, systemClock } from "@holdfast/shared";
import { createPuller, type Puller, type PullerOptions } from "./artifacts/pull-artifact.js";
import { UploadTokens } from "./artifacts/upload-tokens.js";
import { DownloadTokens } from "./artifacts/download-tokens.js";
import { storedCapReader } from "./bandwidth/stored-cap.js";
import { TransferCaps } from "./bandwidth/transfer-caps.js";
import type { AppContext } from "./context.js";
import { openDatabase } from "./db/index.js";
import { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from "./deliveries/delivery-worker.js";
import type { Env } from "./env.js";
import { EventHub } from "./events/hub.js";
import { RunProgressFeed } from "./events/progress.js";
import { createApp } from "./http/app.js";
import { startPeriodicPass } from "./timers/periodic-pass.js";
import { LINK_FENCE_CHECK_MS, LinkHub } from "./link/hub.js";
import { markOrphanedAgentsOffline, newReplicaId, REPLICA_HEARTBEAT_MS, registerReplica, startReplicaHeartbeat } from "./link/replicas.js";
import { startRelayWorker } from "./link/relay-worker.js";
import { createAgentPresenceAlerts } from "./notifications/agent-presence.js";
import { type RpoWatch, startRpoWatch } from "./notifications/backup-missed.js";
import { createNotificationWorker, type NotificationWorker, type NotificationWorkerOptions } from "./notifications/send-worker.js";
import { attachLinkServer } from "./link/link-server.js";
import { createHealthWorker, type HealthWorker, type HealthWorkerOptions } from "./health/health-worker.js";
import { createLogger, type Logger } from "./logger.js";
import { type HousekeepingTimer, startHousekeepingTimer } from "./housekeeping/index.js";
import { checkPrivateModes, makePrivateDir } from "./private-files.js";
import { type RetentionTimer, startRetentionTimer } from "./retention/execute-retention.js";
import { type ScrubWorker, startScrubWorker } from "./scrub/scrub-worker.js";
import { createScheduler, type Scheduler } from "./firing/loop.js";
import { loadMasterKey } from "./secrets/master-key.js";
import { SecretBox } from "./secrets/secret-box.js";
import { issueSetupToken, setupUrl } from "./setup/setup-token.js";
import { TlsRuntime } from "./tls/tls-runtime.js";

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  puller?: PullerOptions;
  deliveries?: DeliveryWorkerOptions;
  notifications?: NotificationWorkerOptions;
  health?: HealthWorkerOptions;
  /** Skip the "listening on" line (tests). */
  quiet?: boolean;
  /** false: no firing loop (unit tests that drive their own scheduler on a manual clock). */
  scheduler?: boolean;
  /** Who receives which live event kind (tests of the role filter pass another table). */
  liveEventRoles?: LiveEventRoles;
}

export interface RunningServer {
  url: string;
  ctx: AppContext;
  server: Server;
  puller: Puller;
  deliveries: DeliveryWorker;
  notifications: NotificationWorker;
  /** "Backup missed" and "backups on time again" (notifications/backup-missed.ts). */
  rpoWatch: RpoWatch;
  /** Health checks of datasources (through their agents) and probes of destinations. */
  health: HealthWorker;
  /** Stored copies checked against the catalogue (scrub/). */
  scrub: ScrubWorker;
  retention: RetentionTimer;
  housekeeping: HousekeepingTimer;
  liveEvents: EventHub;
  /** Absent when started with `scheduler: false`. */
  scheduler: Scheduler | undefined;
  /**
   * While no user exists: the one-time URL that creates the first admin (its token in the fragment).
   * Printed by `holdfast serve`, never logged.
   */
  setupUrl: string | undefined;
  /** SIGHUP: re-reads HOLDFAST_TLS_CERT/_KEY (and _NEXT_KEY) into the running server; false when they were kept. */
  reloadTls(): boolean;
  close(): Promise<void>;
}

function setupNotice(link: string): string {
  return `holdfast: no user exists yet. Create the first admin at\n  ${link}\n(it works once, until the next start replaces it; behind a proxy, open the same /setup#token=… on its address)\n`;
}

/** Opens the database, starts HTTP and the agent link, resumes pending pulls. */
export async function startServer(env: Env, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.logger ?? createLogger(env.logLevel);
  const clock = opts.clock ?? systemClock;
  // First: a wrong certificate or key stops start-up before anything else is opened.
  const tls = new TlsRuntime(env);
  makePrivateDir(env.spoolDir);
  const secrets = new SecretBox(await loadMasterKey(env));
  const database = await openDatabase(env);
  await checkPrivateModes(env, database.dialect === "sqlite", log);

  // The parts refer to each other (sessions ingest events that kick the puller, which sends
  // commands over the link), so the context is filled in once they all exist.
  const lifecycle = { stopping: false };
  const ctx = { database, env, clock, log, secrets, lifecycle, serverPins: () => tls.pins, uploads: new UploadTokens(clock), downloads: new DownloadTokens(clock) } as AppContext;
  ctx.bandwidth = new TransferCaps(clock, storedCapReader(ctx));
  const liveEvents = new EventHub(ctx, {
    pollMs: env.eventsPollMs,
    keepAliveMs: env.eventsKeepAliveMs,
    clientBuffer: env.eventsClientBuffer,
    window: { count: env.eventsKeepCount, maxAgeMs: env.eventsKeepMs },
    pruneEveryMs: 60_000,
    ...(opts.liveEventRoles ? { roles: opts.liveEventRoles } : {}),
  });
  await liveEvents.start();
  ctx.liveEvents = liveEvents;
  const progress = new RunProgressFeed(ctx);
  ctx.progress = progress;
  const replicaId = newReplicaId();
  const hub = new LinkHub(ctx, replicaId);
  ctx.link = hub;
  // A verified spool copy starts its deliveries; a removed one lets waiting pulls into the spool.
  let deliveries: DeliveryWorker | undefined;
  const puller = createPuller(ctx, { ...opts.puller, onSpooled: () => deliveries?.kick() });
  ctx.puller = puller;
  deliveries = createDeliveryWorker(ctx, { ...opts.deliveries, onSpoolFreed: () => puller.spoolFreed() });
  ctx.deliveries = deliveries;
  await registerReplica(ctx, replicaId);
  // No socket exists here yet: agents marked online by no live replica (this one's predecessor, a
  // killed peer) are offline. Alerts for them start with the presence watch below.
  await markOrphanedAgentsOffline(ctx);
  const notifications = createNotificationWorker(ctx, opts.notifications);
  const presence = createAgentPresenceAlerts(ctx, env.notifyAgentOfflineMs);
  ctx.notifications = { kick: notifications.kick, agentOffline: presence.offline, agentOnline: presence.online };
  const setupToken = await issueSetupToken(ctx);
  const scheduler = opts.scheduler === false ? undefined : createScheduler(ctx, { tickMs: env.schedulerTickMs, graceMs: env.misfireGraceMs });
  if (scheduler) ctx.scheduler = scheduler;

  const app = createApp(ctx);
  const serverOptions = tls.serverOptions;
  const server = (
    serverOptions
      ? createAdaptorServer({ fetch: app.fetch, hostname: env.host, createServer: createHttpsServer, serverOptions })
      : createAdaptorServer({ fetch: app.fetch, hostname: env.host })
  ) as Server;
  // Node ends any request whose body takes over 5 minutes (requestTimeout), which would cut every
  // large artifact upload and make it resume; what bounds a transfer here is silence instead: a
  // socket with no traffic either way for 2 minutes is closed (event streams send a comment every 15 s).
  server.requestTimeout = 0;
  server.timeout = 120_000;
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
  const url = `${serverOptions ? "https" : "http"}://${host}:${port}`;
  const setupLink = setupToken === null ? undefined : setupUrl(url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, "//localhost"), setupToken);
  // stderr only, never the log: whoever holds the setup URL may create the first admin. Written before
  // the listening line, in one write, so whoever has read that line has read the URL, if any.
  if (!opts.quiet) process.stderr.write(`${setupLink ? setupNotice(setupLink) : ""}holdfast listening on ${url}\n`);
  log.info({ url, database: database.dialect, spool: env.spoolDir }, "control plane started");
  await puller.resumeAll();
  await deliveries.start();
  notifications.start();
  await presence.start();
  const replicas = startReplicaHeartbeat(ctx, replicaId);
  const fence = startPeriodicPass(ctx, { name: "link fence", everyMs: LINK_FENCE_CHECK_MS, pass: () => hub.checkFence() });
  // Only PostgreSQL has other replicas: their agents (isOnline) and the commands they relay here.
  const replicated = database.dialect === "postgres";
  const elsewhere = startPeriodicPass(ctx, { name: "agents on other replicas", everyMs: replicated ? REPLICA_HEARTBEAT_MS : 0, firstAfterMs: 0, pass: () => hub.refreshElsewhere() });
  const relay = startRelayWorker(ctx, hub, replicated);
  const retention = startRetentionTimer(ctx);
  const housekeeping = startHousekeepingTimer(ctx);
  const rpoWatch = startRpoWatch(ctx, { everyMs: env.backupMissedCheckMs, graceMs: env.backupMissedGraceMs });
  const health = createHealthWorker(ctx, opts.health);
  health.start();
  const scrub = startScrubWorker(ctx);
  // The first pass also catches up after a restart: firings due meanwhile, retries, pending runs.
  scheduler?.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      lifecycle.stopping = true;
      // Streams end first: their clients reconnect (elsewhere, or after the restart) with their last id.
      await liveEvents.close();
      link.close();
      puller.close();
      await scheduler?.stop();
      await fence.close();
      await elsewhere.close();
      await relay.close();
      await hub.closeAll(CLOSE_CODES.serverShutdown, "control plane shutting down");
      await replicas.close();
      // Checks waiting on an agent were cut with its session; what remains finishes its record.
      await health.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Uploads in flight keep what they wrote; the agent resumes them from the offset.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await puller.idle();
      // Sends cut by the closed sessions leave their runs pending: the next start sends them again.
      await scheduler?.idle();
      // Tries under way are cut and go back to pending: the next start resumes them.
      await deliveries.close();
      presence.close();
      await rpoWatch.close();
      await scrub.close();
      await notifications.close();
      await retention.close();
      await housekeeping.close();
      progress.close();
      await database.close();
      log.info("control plane stopped");
    })();
    return closing;
  };
  return { url, ctx, server, puller, deliveries, notifications, rpoWatch, health, scrub, retention, housekeeping, liveEvents, scheduler, setupUrl: setupLink, reloadTls: () => tls.reload(serverOptions ? (server as unknown as HttpsServer) : null, log), close };
}
