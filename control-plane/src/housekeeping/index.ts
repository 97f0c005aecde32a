export { startHousekeepingTimer, type HousekeepingTimer } from "./housekeeping-timer.js";
export { MAX_BATCHES, PRUNE_BATCH, pruneHistory, type PruneOptions, type PruneReport } from "./prune-history.js";
