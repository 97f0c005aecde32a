import { z } from "zod";

/**
 * A bandwidth cap on artifact transfers, in MiB/s (2^20 bytes a second); fractions allowed. The floor
 * keeps a throttled transfer moving often enough (a 4 KiB slice at least every 0.4 s) for the
 * transfers' silence bounds never to mistake it for a dead one. Null, where a field takes it: no cap.
 */
export const TransferCapMiBps = z
  .number()
  .min(0.01, "must be at least 0.01 MiB/s; send null for no cap")
  .max(100_000, "must be at most 100000 MiB/s; send null for no cap");
export type TransferCapMiBps = z.infer<typeof TransferCapMiBps>;
