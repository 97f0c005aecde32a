import { z } from "zod";

/** The page size of `GET /api/v1/audit`: 50 unless asked, never more than 200. */
export const AUDIT_PAGE = { default: 50, max: 200 } as const;

/** `GET /api/v1/audit?limit=&cursor=`: newest first; `cursor` is the previous page's `nextCursor`. */
export const AuditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(AUDIT_PAGE.max).default(AUDIT_PAGE.default),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;
