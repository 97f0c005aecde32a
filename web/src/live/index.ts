/**
 * The live event stream of `GET /api/v1/events`, shared by every page of a tab (at most one stream
 * per tab). The contract pages code against:
 *
 * - `<LiveEventsProvider>` (mounted once in theme/providers.tsx) opens the stream while someone is
 *   signed in, resumes after a cut with `Last-Event-ID`, and on each event invalidates the queries it
 *   concerns (by `queryKeys`); on `resync` it invalidates everything.
 * - `useLiveEvents(listener)`: every recorded event, as it arrives, for a page that reacts to one
 *   (the "Add agent" dialog waiting for its agent, a run page following its run).
 * - `useRunProgress(runId)`: the latest progress of a running run (step, bytes, rate, percent), or
 *   undefined before the first one or once the run ended.
 * - `useLiveStatus()`: `connecting | live | reconnecting`, for a small indicator.
 *
 * The stream itself is built in `live-events.tsx`; this file is the interface.
 */
export { LiveEventsProvider, useLiveEvents, useLiveStatus, useRunProgress, type LiveStatus, type RunProgress } from "./live-events.js";
