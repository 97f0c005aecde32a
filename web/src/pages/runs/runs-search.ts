import { Id, type ListRunsQuery, RunKind, RunState, RunTrigger } from "@holdfast/shared";
import { z } from "zod";

/** A day as the date field gives it (`2026-12-07`), read in the viewer's zone. */
const Day = z.iso.date();

/**
 * The runs page's filters, kept in the URL so a filtered list can be reloaded, shared and gone back
 * to. A value the URL holds but that is not valid (an old link, a typo) is dropped, not an error page.
 */
export const RunsSearch = z.object({
  datasourceId: Id.optional().catch(undefined),
  state: RunState.optional().catch(undefined),
  trigger: RunTrigger.optional().catch(undefined),
  kind: RunKind.optional().catch(undefined),
  /** The first day shown, inclusive. */
  from: Day.optional().catch(undefined),
  /** The last day shown, inclusive. */
  to: Day.optional().catch(undefined),
});
export type RunsSearch = z.infer<typeof RunsSearch>;

/** Midnight at the start of `day` in the viewer's zone, as an ISO time. */
export function startOfDay(day: string, addDays = 0): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + addDays).toISOString();
}

/**
 * `GET /runs`'s query for the filters: the days become the instants that bound them in the viewer's
 * zone (`to` is exclusive on the API, so the day after the last one shown). A range given backwards
 * is read the right way round rather than refused.
 */
export function listQueryFor(search: RunsSearch): Omit<ListRunsQuery, "limit" | "cursor"> {
  const [first, last] = search.from && search.to && search.from > search.to ? [search.to, search.from] : [search.from, search.to];
  return {
    ...(search.datasourceId ? { datasourceId: search.datasourceId } : {}),
    ...(search.state ? { state: search.state } : {}),
    ...(search.trigger ? { trigger: search.trigger } : {}),
    ...(search.kind ? { kind: search.kind } : {}),
    ...(first ? { from: startOfDay(first) } : {}),
    ...(last ? { to: startOfDay(last, 1) } : {}),
  };
}

/** Whether any filter is set (the empty state then says so, with a way out). */
export function isFiltered(search: RunsSearch): boolean {
  return Object.values(search).some((v) => v !== undefined);
}
