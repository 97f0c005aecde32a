export { assertTimeZone, compileCron, formatWithOffset, MAX_NEXT_FIRINGS, nextFiring, nextFirings } from "./cron.js";
export { firingIdempotencyKey } from "./firing-key.js";
export { decideMisfire, dueFirings, MAX_LISTED_MISSED, type DueFirings, type MisfireDecision } from "./misfire.js";
export { nextRetry, type RetryInput } from "./retry-plan.js";
export { createScheduler, type Scheduler, type SchedulerOptions } from "./loop.js";
