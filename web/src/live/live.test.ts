import type { RecordedLiveEvent } from "@holdfast/shared";
import type { QueryKey } from "@tanstack/react-query";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { queryKeys } from "../api/query-keys.js";
import { keysForEvent, withoutCovered } from "./event-keys.js";
import { LiveStream } from "./event-stream.js";
import { etaSeconds, NO_PROGRESS, reduceProgress } from "./run-progress.js";
import type { RelayMessage, TabShare } from "./tab-share.js";

const at = "2026-12-07T03:00:00.000Z";
const runState = (runId: string, state: "running" | "completed" | "failed", id = 1): RecordedLiveEvent => ({
  id, at, type: "run.state", runId, agentId: "ag1", datasourceId: "ds1", scheduleId: null, kind: "backup", trigger: "manual", state, errorCode: null,
});
const progress = (runId: string, bytes: number, id = 2, percent: number | null = null): RecordedLiveEvent => ({
  id, at, type: "run.progress", runId, agentId: "ag1", datasourceId: "ds1", kind: "backup", step: "dump", bytes, percent, bytesPerSecond: 1000,
});
const delivery: RecordedLiveEvent = { id: 3, at, type: "delivery.state", deliveryId: "dl1", runId: "r1", destinationId: "dst1", state: "completed", attempts: 1, nextAttemptAt: null, errorCode: null };
const agent: RecordedLiveEvent = { id: 4, at, type: "agent.status", agentId: "ag1", name: "db1", status: "online" };

describe("keysForEvent", () => {
  it("refreshes every run list and the run on a state change, with its datasource, agent and the numbers", () => {
    expect(keysForEvent(runState("r1", "completed"))).toEqual([queryKeys.runs, queryKeys.datasource("ds1"), queryKeys.datasources, queryKeys.agent("ag1"), queryKeys.stats]);
    expect(keysForEvent({ ...runState("r1", "running"), scheduleId: "sc1" } as RecordedLiveEvent)).toContainEqual(queryKeys.schedule("sc1"));
  });

  it("refreshes the run's deliveries and the destination's usage on a delivery change", () => {
    expect(keysForEvent(delivery)).toEqual([queryKeys.run("r1"), ["runs", "list"], queryKeys.destination("dst1"), queryKeys.destinations, queryKeys.stats]);
  });

  it("refreshes the agents on an agent's status", () => {
    expect(keysForEvent(agent)).toEqual([queryKeys.agents, queryKeys.agent("ag1"), queryKeys.stats]);
  });

  it("refetches nothing on progress: it is held in memory", () => {
    expect(keysForEvent(progress("r1", 10))).toEqual([]);
  });

  it("drops keys another key already covers, and duplicates", () => {
    expect(withoutCovered([queryKeys.run("r1"), queryKeys.runs, queryKeys.stats, queryKeys.stats, ["runs", "list"]])).toEqual([queryKeys.runs, queryKeys.stats]);
  });
});

describe("reduceProgress", () => {
  it("keeps the latest progress of each running run", () => {
    let s = reduceProgress(NO_PROGRESS, progress("r1", 10));
    s = reduceProgress(s, progress("r2", 5));
    s = reduceProgress(s, progress("r1", 20, 5, 40));
    expect(s.running.get("r1")).toEqual({ step: "dump", bytes: 20, percent: 40, bytesPerSecond: 1000, at });
    expect(s.running.get("r2")?.bytes).toBe(5);
  });

  it("forgets a run once it ended and ignores its progress arriving after the end", () => {
    let s = reduceProgress(NO_PROGRESS, progress("r1", 10));
    s = reduceProgress(s, runState("r1", "completed"));
    expect(s.running.has("r1")).toBe(false);
    s = reduceProgress(s, progress("r1", 99));
    expect(s.running.has("r1")).toBe(false);
  });

  it("answers the same state for an event that changes nothing", () => {
    expect(reduceProgress(NO_PROGRESS, agent)).toBe(NO_PROGRESS);
    expect(reduceProgress(NO_PROGRESS, runState("r1", "running"))).toBe(NO_PROGRESS);
  });
});

describe("etaSeconds", () => {
  it("is the bytes left at the current rate when the total is known", () => {
    expect(etaSeconds({ bytes: 25_000, percent: 25, bytesPerSecond: 1_000 })).toBe(75);
    expect(etaSeconds({ bytes: 100, percent: 100, bytesPerSecond: 1 })).toBe(0);
  });

  it("is unknown without a percent or a rate", () => {
    expect(etaSeconds({ bytes: 25_000, percent: null, bytesPerSecond: 1_000 })).toBeUndefined();
    expect(etaSeconds({ bytes: 25_000, percent: 25, bytesPerSecond: null })).toBeUndefined();
    expect(etaSeconds({ bytes: 0, percent: 0, bytesPerSecond: 10 })).toBeUndefined();
  });
});

/** Stands in for the browser's EventSource: the test plays the server. */
class FakeSource {
  readyState = 0;
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  send(data: unknown) {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
  cut(givenUp: boolean) {
    this.readyState = givenUp ? 2 : 0;
    this.onerror?.();
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
}

describe("LiveStream", () => {
  let sources: FakeSource[];
  let invalidated: QueryKey[][];
  let everything: number;
  let probe: ReturnType<typeof vi.fn<() => Promise<boolean>>>;
  let stream: LiveStream;
  beforeEach(() => {
    vi.useFakeTimers();
    sources = [];
    invalidated = [];
    everything = 0;
    probe = vi.fn(async () => true);
    stream = new LiveStream({
      url: "/api/v1/events",
      invalidate: (keys) => invalidated.push(keys),
      invalidateAll: () => everything++,
      probe,
      open: () => {
        const s = new FakeSource();
        sources.push(s);
        return s as unknown as EventSource;
      },
    });
  });
  afterEach(() => vi.useRealTimers());

  it("opens one stream however many hold it, and closes it after the last lets go", () => {
    const a = stream.hold();
    const b = stream.hold();
    expect(sources).toHaveLength(1);
    a();
    b();
    vi.advanceTimersByTime(1_000);
    expect(sources[0]!.closed).toBe(true);
    expect(stream.status).toBe("connecting");
  });

  it("survives a release and a hold in the same moment (StrictMode's double mount) on one stream", () => {
    stream.hold()();
    stream.hold();
    vi.advanceTimersByTime(5_000);
    expect(sources).toHaveLength(1);
    expect(sources[0]!.closed).toBe(false);
  });

  it("invalidates the keys of a burst of events once, after a short pause", () => {
    stream.hold();
    sources[0]!.open();
    sources[0]!.send({ id: 0, type: "ready" });
    sources[0]!.send(delivery);
    sources[0]!.send(runState("r1", "completed", 5));
    expect(invalidated).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(invalidated).toHaveLength(1);
    expect(new Set(invalidated[0]!.map((k) => k.join("/")))).toEqual(new Set(["destinations", "stats", "runs", "datasources", "agents/ag1"]));
    expect(everything).toBe(0);
    expect(stream.status).toBe("live");
  });

  it("hands events to listeners and keeps run progress", () => {
    stream.hold();
    const seen: RecordedLiveEvent[] = [];
    stream.onEvent((e) => seen.push(e));
    sources[0]!.send(progress("r1", 42));
    expect(seen).toHaveLength(1);
    expect(stream.progress.running.get("r1")?.bytes).toBe(42);
  });

  it("ignores what it cannot read: not JSON, or a kind it does not know", () => {
    stream.hold();
    sources[0]!.onmessage?.({ data: "not json" });
    sources[0]!.send({ id: 9, at, type: "schedule.fired" });
    vi.advanceTimersByTime(100);
    expect(invalidated).toEqual([]);
  });

  it("refetches everything when the browser reconnects by itself, and on resync", () => {
    stream.hold();
    sources[0]!.open();
    sources[0]!.cut(false);
    expect(stream.status).toBe("reconnecting");
    sources[0]!.open();
    expect(everything).toBe(1);
    expect(stream.status).toBe("live");
    sources[0]!.send({ id: 7, type: "resync", reason: "too-old" });
    expect(everything).toBe(2);
  });

  it("opens a new stream after the browser gave up, once the probe says the session is alive, and refetches", async () => {
    stream.hold();
    sources[0]!.open();
    sources[0]!.send(progress("r1", 42));
    sources[0]!.cut(true);
    expect(sources[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(sources).toHaveLength(2);
    sources[1]!.open();
    expect(everything).toBe(1);
    // Progress from before the cut may be stale: the run rows say where each run stands.
    expect(stream.progress.running.size).toBe(0);
  });

  it("stops trying when the probe says the session ended", async () => {
    stream.hold();
    probe.mockResolvedValue(false);
    sources[0]!.cut(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sources).toHaveLength(1);
  });
});

/** One browser's tabs: a lock granted in request order, and a channel delivering to every other tab. */
function fakeBrowser() {
  const waiting: { signal: AbortSignal; lead: () => Promise<void> }[] = [];
  let held = false;
  const grant = () => {
    while (!held && waiting.length > 0) {
      const next = waiting.shift()!;
      if (next.signal.aborted) continue;
      held = true;
      void next.lead().then(() => {
        held = false;
        grant();
      });
    }
  };
  const tabs = new Set<(m: RelayMessage) => void>();
  return {
    share(): TabShare {
      let mine: ((m: RelayMessage) => void) | undefined;
      return {
        requestLead(signal, lead) {
          waiting.push({ signal, lead });
          grant();
        },
        post: (message) => {
          for (const tab of tabs) if (tab !== mine) tab(structuredClone(message));
        },
        listen(handler) {
          mine = handler;
          tabs.add(handler);
          return () => tabs.delete(handler);
        },
      };
    },
  };
}

describe("LiveStream shared across tabs", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function tab(browser: ReturnType<typeof fakeBrowser>, sources: FakeSource[]) {
    const seen: RecordedLiveEvent[] = [];
    let everything = 0;
    const stream = new LiveStream({
      url: "/api/v1/events",
      invalidate: () => {},
      invalidateAll: () => everything++,
      probe: async () => true,
      share: browser.share(),
      open: () => {
        const s = new FakeSource();
        sources.push(s);
        return s as unknown as EventSource;
      },
    });
    stream.onEvent((e) => seen.push(e));
    return { stream, seen, everything: () => everything };
  }

  /** Two tabs of one browser, both showing a signed-in page, the first one leading on a stream that is open. */
  async function twoTabs() {
    const browser = fakeBrowser();
    const sources: FakeSource[] = [];
    const a = tab(browser, sources);
    const b = tab(browser, sources);
    const releaseA = a.stream.hold();
    b.stream.hold();
    await vi.advanceTimersByTimeAsync(0);
    expect(sources).toHaveLength(1);
    sources[0]!.open();
    return { sources, b, releaseA };
  }

  it("opens one stream for all tabs; the others get its events, progress and status", async () => {
    const { sources, b } = await twoTabs();
    sources[0]!.send(progress("r1", 42));
    expect(b.seen).toEqual([progress("r1", 42)]);
    expect(b.stream.progress.running.get("r1")?.bytes).toBe(42);
    expect(b.stream.status).toBe("live");
  });

  it("hands the stream to a waiting tab when the leader closes, which refetches what it may have missed", async () => {
    const { sources, b, releaseA } = await twoTabs();
    releaseA();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sources[0]!.closed).toBe(true);
    expect(sources).toHaveLength(2);
    const before = b.everything();
    sources[1]!.open();
    expect(b.everything()).toBe(before + 1);
    sources[1]!.send(agent);
    expect(b.seen).toEqual([agent]);
  });

  it("tells the other tabs to refetch everything when the leader resyncs", async () => {
    const { sources, b } = await twoTabs();
    const before = b.everything();
    sources[0]!.send({ id: 3, type: "resync", reason: "too-old" });
    expect(b.everything()).toBe(before + 1);
  });
});
