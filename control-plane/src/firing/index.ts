export { firingIdempotencyKey } from "./firing-key.js";
export { decideMisfire, dueFirings, MAX_LISTED_MISSED, type DueFirings, type MisfireDecision } from "./misfire.js";
export { nextRetry, type RetryInput } from "./retry-plan.js";
export { createScheduler, type Scheduler, type SchedulerOptions } from "./loop.js";
