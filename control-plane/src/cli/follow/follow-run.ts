import type { RunProgressEvent } from "@holdfast/shared";
import { type Answer, type Api, call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import type { Connection } from "../remote/connection.js";
import { EXIT } from "../remote/exit-codes.js";
import { openEventFeed } from "./event-feed.js";

export type RunAnswer = Answer<Awaited<ReturnType<Api["runs"][":runId"]["$get"]>>>;
export type DeliveryAnswer = Answer<Awaited<ReturnType<Api["runs"][":runId"]["deliveries"]["$get"]>>>["items"][number];

/** The states after which a run never moves again (the agent's and the control plane's own). */
export const RUN_ENDED = new Set(["completed", "failed", "cancelled", "expired", "missed"]);
/** A delivery waiting for its next try is `pending` again: only these two are final. */
const DELIVERY_ENDED = new Set(["completed", "failed"]);

/** While the live feed is open, the run is re-read on each of its events and at least this often (a missed event costs this much). */
const POLL_LIVE_MS = 10_000;
/** Without the feed (refused, cut for good), the run is polled this often. */
const POLL_MS = 2_000;
/** An unreachable control plane is tried again this many times in a row before the wait gives up. */
const UNREACHABLE_TRIES = 15;

/** What a follower shows; the progress view (TTY bar or plain lines) implements it. */
export interface FollowView {
  run(run: RunAnswer): void;
  progress(event: RunProgressEvent): void;
  end(): void;
}

export interface FollowOutcome {
  run: RunAnswer;
  /** The backup's deliveries as they ended (empty for a restore, or when not waited for). */
  deliveries: DeliveryAnswer[];
}

/** Whether following is over: the run ended, and (a completed backup, when asked) every delivery too. */
export function followIsOver(run: Pick<RunAnswer, "state" | "kind" | "deliveries">, waitDeliveries: boolean): boolean {
  if (!RUN_ENDED.has(run.state)) return false;
  if (!waitDeliveries || run.kind !== "backup" || run.state !== "completed") return true;
  return run.deliveries.every((d) => DELIVERY_ENDED.has(d.state));
}

/** Resolves at the next `now()` or after `ms`, whichever comes first. */
class Waker {
  private wake: (() => void) | undefined;
  private early = false;
  now(): void {
    this.early = true;
    this.wake?.();
  }
  wait(ms: number): Promise<void> {
    if (this.early) {
      this.early = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        self.early = false;
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * Follows a run to its end (and a backup's deliveries to theirs when `waitDeliveries`). The live
 * feed (`GET /events`) brings progress and says when to look again; what is decided is always
 * read from `GET /runs/:id`, so a missed or replayed event, a resync, or no feed at all (polling)
 * end the same way.
 */
export async function followRun(ctx: { api: Api; conn: Connection }, runId: string, view: FollowView, opts: { waitDeliveries: boolean }): Promise<FollowOutcome> {
  const waker = new Waker();
  const feed = openEventFeed(ctx.conn, (event) => {
    if (event.type === "run.progress" && event.runId === runId) view.progress(event);
    else if ((event.type === "run.state" || event.type === "delivery.state") && event.runId === runId) waker.now();
    else if (event.type === "resync" || event.type === "ready") waker.now();
  });
  const runRoute = ctx.api.runs[":runId"];
  let unreachable = 0;
  try {
    for (;;) {
      let run: RunAnswer;
      try {
        run = await call(runRoute.$get({ param: { runId } }));
        unreachable = 0;
      } catch (err) {
        // A control plane restarting (an upgrade) does not end the wait; a 404 or a revoked token does.
        if (!(err instanceof CliError) || err.exitCode !== EXIT.unreachable || err.code !== null || ++unreachable > UNREACHABLE_TRIES) throw err;
        await waker.wait(POLL_MS);
        continue;
      }
      view.run(run);
      if (followIsOver(run, opts.waitDeliveries)) {
        const deliveries = run.kind === "backup" && opts.waitDeliveries ? (await call(runRoute.deliveries.$get({ param: { runId } }))).items : [];
        return { run, deliveries };
      }
      await waker.wait(feed.live ? POLL_LIVE_MS : POLL_MS);
    }
  } finally {
    feed.close();
    view.end();
  }
}
