import { z } from "zod";

export const StartBackupBody = z
  .object({
    destinationIds: z.array(z.string().min(1).max(64)).min(1).max(20),
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
  .strict();
export type StartBackupBody = z.infer<typeof StartBackupBody>;
