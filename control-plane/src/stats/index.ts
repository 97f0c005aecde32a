export { getStats, type StatsView } from "./get-stats.js";
