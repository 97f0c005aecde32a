import { z } from "zod";

/**
 * A bandwidth cap on artifact transfers, in MiB/s (2^20 bytes a second); fractions allowed. The floor
 * keeps a throttled upload inside the agent's 60 s silence bound: its socket reports progress once a
 * 1 MiB write has gone and once its send buffer (4 MiB at most by Linux's default) has drained, 40 s
 * at 0.1 MiB/s (docs/decisions.md, "Bandwidth caps"). Null, where a field takes it: no cap.
 */
export const TransferCapMiBps = z
  .number()
  .min(0.1, "must be at least 0.1 MiB/s; send null for no cap")
  .max(100_000, "must be at most 100000 MiB/s; send null for no cap");
export type TransferCapMiBps = z.infer<typeof TransferCapMiBps>;
