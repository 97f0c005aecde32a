import { z } from "zod";
import { TransferCapMiBps } from "./transfer-cap.js";

/**
 * `PATCH /agents/:id`: what an operator sets on an agent. `transferCapMiBps` caps its artifact
 * uploads to the control plane (null: none); a transfer under way adopts a new value.
 */
export const UpdateAgentBody = z
  .object({ transferCapMiBps: TransferCapMiBps.nullable().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "must change at least one field");
export type UpdateAgentBody = z.infer<typeof UpdateAgentBody>;
