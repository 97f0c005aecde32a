import { z } from "zod";

/** The page size of `GET /api/v1/audit`: 50 unless asked, never more than 200. */
export const AUDIT_PAGE = { default: 50, max: 200 } as const;

const isoTime = z.iso.datetime({ offset: true });

/**
 * `GET /api/v1/audit?…`: newest first; every filter optional, combined with AND. `actor` is a user's
 * id or e-mail; `action` an exact action (`session.signIn`, `PATCH /destinations/:id`); `object` an
 * id the record's target names (`dst_…`, `run_…`); `from` inclusive, `to` exclusive. `cursor` is the
 * previous page's `nextCursor`.
 */
export const AuditQuery = z
  .object({
    actor: z.string().trim().min(1).max(320).optional(),
    action: z.string().trim().min(1).max(200).optional(),
    object: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an id such as dst_… or run_…").optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(AUDIT_PAGE.max).default(AUDIT_PAGE.default),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), { message: "from must not be after to", path: ["from"] });
export type AuditQuery = z.infer<typeof AuditQuery>;
