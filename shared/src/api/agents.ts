import { z } from "zod";
import { BlackoutWindows } from "./blackout.js";
import { TransferCapMiBps } from "./transfer-cap.js";

/**
 * `PATCH /agents/:id`: what an operator sets on an agent. `transferCapMiBps` caps its artifact
 * uploads to the control plane (null: none); a transfer under way adopts a new value. `blackout`:
 * times no scheduled backup of its datasources starts, in `timezone` (IANA, checked by the control
 * plane; UTC until set), on top of each schedule's own windows.
 */
export const UpdateAgentBody = z
  .object({ transferCapMiBps: TransferCapMiBps.nullable().optional(), blackout: BlackoutWindows.optional(), timezone: z.string().min(1).max(64).optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "must change at least one field");
export type UpdateAgentBody = z.infer<typeof UpdateAgentBody>;
