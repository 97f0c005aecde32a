import { z } from "zod";

/** An id in a route's path. Ids are short prefixed strings (ids.ts); a longer one is no id of ours. */
const PathId = z.string().min(1).max(128);

/** `/…/:id` */
export const IdParam = z.object({ id: PathId });
/** `/runs/:runId/…` */
export const RunIdParam = z.object({ runId: PathId });
