import type { RecordedLiveEvent } from "@holdfast/shared";
import { type ReactNode, useEffect } from "react";

export type LiveStatus = "connecting" | "live" | "reconnecting";

export interface RunProgress {
  step: string;
  bytes: number;
  percent: number | null;
  bytesPerSecond: number | null;
}

// A placeholder with the final interface: pages poll (every 15 s at most) until the stream exists.
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  return children;
}

export function useLiveEvents(listener: (event: RecordedLiveEvent) => void): void {
  useEffect(() => {
    void listener;
  }, [listener]);
}

export function useRunProgress(_runId: string | undefined): RunProgress | undefined {
  return undefined;
}

export function useLiveStatus(): LiveStatus {
  return "connecting";
}
