import type { RecordedLiveEvent } from "@holdfast/shared";
import { useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { consoleFetch } from "../api/client.js";
import { LiveStream, type LiveStatus } from "./event-stream.js";
import type { RunProgress } from "./run-progress.js";
import { browserTabShare } from "./tab-share.js";

export type { LiveStatus } from "./event-stream.js";
export type { RunProgress } from "./run-progress.js";

const EVENTS_URL = "/api/v1/events";

const LiveContext = createContext<LiveStream | undefined>(undefined);

/**
 * Whether the stream may open again after the browser gave up: asks for it through the console's
 * fetch, which sends a viewer whose session ended to sign in (an EventSource cannot see a 401).
 */
async function probe(): Promise<boolean> {
  const controller = new AbortController();
  try {
    const res = await consoleFetch(EVENTS_URL, { signal: controller.signal, headers: { accept: "text/event-stream" } });
    return res.status !== 401 && res.status !== 403;
  } finally {
    controller.abort();
  }
}

/**
 * The tab's stream, made once; it opens only while a signed-in page holds it (`useLiveConnection`),
 * and only in the tab that leads: the browser's other tabs get its events over a BroadcastChannel.
 */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [stream] = useState(
    () =>
      new LiveStream({
        url: EVENTS_URL,
        invalidate: (keys) => {
          for (const queryKey of keys) void queryClient.invalidateQueries({ queryKey });
        },
        invalidateAll: () => void queryClient.invalidateQueries(),
        probe,
        share: browserTabShare(),
      }),
  );
  return <LiveContext.Provider value={stream}>{children}</LiveContext.Provider>;
}

function useStream(): LiveStream {
  const stream = useContext(LiveContext);
  if (!stream) throw new Error("useLiveEvents outside <LiveEventsProvider>");
  return stream;
}

/** Keeps the tab's stream open while the calling component (the signed-in shell) is mounted. */
export function useLiveConnection(): void {
  const stream = useStream();
  useEffect(() => stream.hold(), [stream]);
}

/** Every recorded event as it arrives (after the queries it concerns were marked stale). */
export function useLiveEvents(listener: (event: RecordedLiveEvent) => void): void {
  const stream = useStream();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => stream.onEvent((event) => latest.current(event)), [stream]);
}

/** The latest progress of a running run, or undefined before the first one and once it ended. */
export function useRunProgress(runId: string | undefined): RunProgress | undefined {
  const stream = useStream();
  return useSyncExternalStore(stream.subscribe, () => (runId === undefined ? undefined : stream.progress.running.get(runId)));
}

export function useLiveStatus(): LiveStatus {
  const stream = useStream();
  return useSyncExternalStore(stream.subscribe, () => stream.status);
}
