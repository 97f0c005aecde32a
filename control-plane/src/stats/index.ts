export { getStats, type StatsView } from "./get-stats.js";
export { lastGoodBackups, type LastGoodBackup } from "./last-good-backup.js";
