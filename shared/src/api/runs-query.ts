import { z } from "zod";
import { Id } from "../ids.js";
import { RunKind, RunState, RunTrigger } from "../run-state.js";

const isoTime = z.iso.datetime({ offset: true });

/** The page size of `GET /api/v1/runs`: 50 unless asked, never more than 200. */
export const RUNS_PAGE = { default: 50, max: 200 } as const;

/**
 * `GET /api/v1/runs?…`: every filter optional, combined with AND. `from`/`to` bound the run's
 * creation time (`from` inclusive, `to` exclusive). `cursor` is the `nextCursor` of the previous
 * page, opaque to the client; pages run newest first.
 */
export const ListRunsQuery = z
  .object({
    datasourceId: Id.optional(),
    agentId: Id.optional(),
    scheduleId: Id.optional(),
    state: RunState.optional(),
    kind: RunKind.optional(),
    trigger: RunTrigger.optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(RUNS_PAGE.max).default(RUNS_PAGE.default),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), { message: "from must not be after to", path: ["from"] });
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;

/** `GET /api/v1/stats?days=30`: how many days the daily series covers (the success rates are fixed at 7 and 30). */
export const StatsQuery = z
  .object({ days: z.coerce.number().int().min(1).max(366).default(30) })
  .strict();
export type StatsQuery = z.infer<typeof StatsQuery>;
