/**
 * The live event stream of `GET /api/v1/events`, shared by every page of a tab, and by the tabs of
 * a browser (one leads and relays, `tab-share.ts`). The contract pages code against:
 *
 * - `<LiveEventsProvider>` (mounted once in theme/providers.tsx) holds the tab's stream;
 *   `useLiveConnection()` (in the signed-in shell) keeps it open. It resumes after a cut with
 *   `Last-Event-ID`, and on each event invalidates the queries it concerns (by `queryKeys`,
 *   `event-keys.ts`); on a reconnect or a `resync` it invalidates everything.
 * - `useLiveEvents(listener)`: every recorded event, as it arrives, for a page that reacts to one
 *   (the "Add agent" dialog waiting for its agent, a run page following its run).
 * - `useRunProgress(runId)`: the latest progress of a running run (step, bytes, rate, percent), or
 *   undefined before the first one or once the run ended. `etaSeconds(progress)` when it is known.
 * - `useLiveStatus()`: `connecting | live | reconnecting`, for a small indicator.
 */
export { LiveEventsProvider, useLiveConnection, useLiveEvents, useLiveStatus, useRunProgress, type LiveStatus, type RunProgress } from "./live-events.js";
export { etaSeconds } from "./run-progress.js";
