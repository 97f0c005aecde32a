import { z } from "zod";

export const LocalDestinationConfig = z
  .object({ path: z.string().min(1).max(4096).refine((p) => p.startsWith("/"), "must be an absolute path") })
  .strict();

export const CreateDestinationBody = z
  .object({ name: z.string().min(1).max(200), type: z.literal("local"), config: LocalDestinationConfig })
  .strict();
export type CreateDestinationBody = z.infer<typeof CreateDestinationBody>;
